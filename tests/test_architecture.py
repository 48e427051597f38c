"""The package's shape is pinned: imports point down the layers, and no module imports itself back.

Every import counts (module level, inside functions, under TYPE_CHECKING), because a cycle or an upward import
hidden in a function is still a coupling a reader has to hold in mind.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "langchain_wasm"

# Lower number = lower layer. A module may import its own layer or below, never above.
LAYERS = {
    "errors": 1,  # the typed errors sit with the host: they carry its CallMetrics
    "runtime": 1,
    "abi": 2,
    "guest": 3,
    "python": 4,
    "compiler": 4,
    "tools": 5,
    "chat_models": 5,
    "graph": 6,
    "integrations": 7,
    "cli": 8,
    "demo": 8,
}
# Modules that sit in a lower package but belong to a higher layer: the LangChain tool over the sandbox.
# ``langchain_wasm.python`` itself is a facade that re-exports the tool lazily, like the top-level package.
LAYER_OVERRIDES = {
    "langchain_wasm.python": 5,
    "langchain_wasm.python.tool": 5,
    "langchain_wasm.python.codeact": 5,
    "langchain_wasm.compiler.tool": 5,
}
# The layers that must stay free of LangChain and LangGraph.
PLAIN = ("runtime", "abi", "guest")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = {f"{target}.{a.name}" for a in node.names} & MODULES.keys()
            found.update(submodules)  # `from pkg import submodule` imports the submodule, not pkg's names
            if len(submodules) < len(node.names):
                found.add(target)
    return found


GRAPH = {name: {t for t in _imports(name, path) if t in MODULES and t != name} for name, path in MODULES.items()}


def _layer(module: str) -> int | None:
    if module in LAYER_OVERRIDES:
        return LAYER_OVERRIDES[module]
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_no_import_cycles():
    # The top-level package only re-exports; leave it out so re-exports do not count as cycles.
    graph = {m: {t for t in ts if t != "langchain_wasm"} for m, ts in GRAPH.items() if m != "langchain_wasm"}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert cycles == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) is not None))
def test_imports_point_down(module):
    own = _layer(module)
    assert own is not None
    upward = sorted(t for t in GRAPH[module] if t != "langchain_wasm" and (_layer(t) or 0) > own)
    assert upward == [], f"{module} (layer {own}) imports higher layers"
    assert "langchain_wasm" not in GRAPH[module], f"{module} imports the top-level package"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.split(".")[1:2] and m.split(".")[1] in PLAIN))
def test_plain_layers_never_import_langchain(module):
    bad = sorted(
        t for t in _imports(module, MODULES[module]) if t.split(".")[0] in ("langchain_core", "langgraph", "langchain")
    )
    assert bad == []


def test_importing_the_plain_layers_loads_no_langchain():
    code = (
        "import sys, langchain_wasm.runtime, langchain_wasm.abi, langchain_wasm.guest; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('langchain_core', 'langgraph', 'langchain')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_modules_are_small():
    big = sorted(f"{m} ({n})" for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 400)
    assert big == []
