"""Smoke test of an installed wheel (run by `make test-wheel` from outside the source tree, in a clean venv).

Checks that the package imported is the installed one, that it carries the example guests, and that the
defaults (toolkit, warmup, agent, CLI) find them. Exits non-zero with a message on the first failure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def main() -> int:
    import langchain_wasm
    from langchain_wasm import WasmToolkit
    from langchain_wasm.tools.toolkit import default_guest_dir

    package = Path(langchain_wasm.__file__).resolve().parent
    assert "site-packages" in package.parts, f"imported the source tree, not the wheel: {package}"
    guests = default_guest_dir()
    assert guests == package / "guests", f"default guests are {guests}, expected {package / 'guests'}"
    tools = {t.name: t for t in WasmToolkit.from_directory().get_tools()}
    expected = {"weather", "text_stats", "matmul", "sha256", "quadratic", "quadratic_component"}
    assert expected <= set(tools), f"missing guests: {sorted(expected - set(tools))}"
    out = tools["quadratic"].invoke({"a": 1, "b": -3, "c": 2})
    assert "2" in str(out), out
    cli = [sys.executable, "-m", "langchain_wasm.cli"]
    for argv, want in (
        (["warmup"], 0),
        (["agent"], 0),
        (["call", str(guests / "wat" / "add.wat"), "add", "40", "2"], 0),
        (["--json", "inspect", str(guests / "weather")], 0),
    ):
        done = subprocess.run(cli + argv, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == want, f"{argv}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        if argv == ["warmup"]:
            compiled = done.stderr.count("  ok")
            assert compiled >= len(expected), f"warmup compiled {compiled} guests:\n{done.stderr}"
    info = json.loads(done.stdout)
    assert info["guest"] == "weather", info
    print(f"wheel smoke test ok: {len(tools)} tools from {guests}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
