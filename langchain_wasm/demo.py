"""A tour of the sandbox host: guests doing honest work, then guests attacking the host, each stopped.

python -m langchain_wasm.demo
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from langchain_wasm.errors import LangChainWasmError
from langchain_wasm.guest.paths import default_guest_dir
from langchain_wasm.runtime import CallResult, Capabilities, Limits, Preopen, WasmModule

GUESTS = default_guest_dir() / "wat"


def _guest(name: str) -> WasmModule:
    return WasmModule.from_file(GUESTS / f"{name}.wat")


def _row(title: str, attempt: Callable[[], CallResult | object]) -> None:
    t0 = time.perf_counter()
    try:
        result = attempt()
        if isinstance(result, CallResult):
            m = result.metrics
            shown = result.value if result.value is not None else result.stdout_text().strip()[:60]
            outcome = f"ok: {shown!r} (fuel {m.fuel_used}, memory {m.memory_peak_bytes // 1024} KiB)"
        else:
            outcome = f"ok: {result!r}"
    except LangChainWasmError as exc:
        outcome = f"stopped: {type(exc).__name__}: {str(exc)[:110]}"
    ms = (time.perf_counter() - t0) * 1000
    print(f"  {title:<44} {ms:7.1f} ms  {outcome}")


def main() -> int:
    print("langchain-wasm sandbox host demo (wasmtime; every call runs in a fresh, limited instance)\n")
    add, cat, hello = _guest("add"), _guest("cat"), _guest("hello")
    print("Guests doing their job:")
    _row("add(40, 2) in a fresh instance", lambda: add.call("add", 40, 2))
    _row("WASI command writing to stdout", lambda: hello.run())
    _row("WASI command echoing stdin", lambda: cat.run(stdin=b"data in, data out"))
    n = 2000
    t0 = time.perf_counter()
    for i in range(n):
        add.call("add", i, i)
    per_call = (time.perf_counter() - t0) / n * 1e6
    print(f"  {n} isolated calls: {per_call:.1f} us per call (store + instance + call + limits)\n")

    print("Guests attacking the host (limits: 100 ms, 256 MiB, 1 MiB stdout unless stated):")
    _row("infinite loop, fuel budget 1e6", lambda: _guest("spin").call("spin", limits=Limits(fuel=1_000_000)))
    _row(
        "infinite loop, 50 ms deadline, no fuel cap",
        lambda: _guest("spin").call("spin", limits=Limits(fuel=None, timeout_s=0.05)),
    )
    _row(
        "sleep(30 s) with a 100 ms deadline",
        lambda: _guest("sleep").run(capabilities=Capabilities.command(clocks=True)),
    )
    _row(
        "memory bomb under a 16 MiB cap",
        lambda: _guest("memory_bomb").call("bomb", limits=Limits(memory_bytes=16 * 1024 * 1024)),
    )
    _row("stdout flood under a 64 KiB cap", lambda: _guest("flood").run(limits=Limits(stdout_bytes=65536)))
    _row("sleep without the clocks grant", lambda: _guest("sleep").run())
    with tempfile.TemporaryDirectory() as work:
        Path(work, "inside.txt").write_text("hello")
        caps = Capabilities(preopens=(Preopen(work, "/work"),))
        probe = _guest("fs_probe")
        _row(
            "read /work/inside.txt (granted, errno)",
            lambda: probe.call("read_at", 1000, 10, capabilities=caps),
        )
        _row("read ../secret.txt (escape, errno)", lambda: probe.call("read_at", 1100, 13, capabilities=caps))
        _row("read /etc/passwd (escape, errno)", lambda: probe.call("read_at", 1200, 11, capabilities=caps))
        _row(
            "create a file in a read-only dir (errno)",
            lambda: probe.call("create_at", 1300, 7, capabilities=caps),
        )
        print(f"  files in the read-only dir afterwards: {sorted(os.listdir(work))}")
    print("\nNon-zero errno values are WASI's refusals (76 = not capable, 63 = not permitted).")
    _tools_demo()
    _agent_demo()
    _compiler_demo()
    print(
        "\nIntegrations: `langchain-wasm mcp` serves these guests and run_python to any MCP client "
        "(docs/mcp.md);\nlangchain-sandbox users switch with one import: "
        "langchain_wasm.integrations.langchain_sandbox (docs/langchain-sandbox.md)."
    )
    return 0


def _compiler_demo() -> None:
    """The agent writes C (a recording): clang compiles it inside Wasm, the result runs inside Wasm."""
    from langchain_wasm.compiler import WasmToolchainMissingError, find_toolchain

    try:
        find_toolchain()
    except WasmToolchainMissingError as exc:
        print(f"\n(C/C++ step skipped: {exc})")
        return
    from langchain_core.messages import HumanMessage
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.memory import InMemorySaver

    from langchain_wasm.chat_models.recorded import COMPILER_DEMO_QUESTION, compiler_demo_planner
    from langchain_wasm.cli.agent import stream_agent
    from langchain_wasm.compiler.tool import compiler_tools
    from langchain_wasm.graph.agent import create_wasm_agent

    print("\nThe agent writes C (RECORDED planner; clang runs in Wasm, so does the program):")
    print(f"Question: {COMPILER_DEMO_QUESTION}")
    app = create_wasm_agent(compiler_demo_planner(), compiler_tools(), checkpointer=InMemorySaver())
    config: RunnableConfig = {"configurable": {"thread_id": "cc-demo"}}
    stream_agent(app, {"messages": [HumanMessage(COMPILER_DEMO_QUESTION)]}, config)


def _agent_demo() -> None:
    import argparse

    from langchain_wasm.cli.agent import run_agent

    print("\nThe plan/execute agent (planner -> parallel sandboxed steps -> planner):")
    ns = argparse.Namespace(
        model=os.environ.get("LANGCHAIN_WASM_MODEL"),
        question=None,
        guests=None,
        db=None,
        thread="demo",
        approve="auto",
        max_iterations=6,
    )
    if ns.model:
        from langchain_wasm.chat_models.recorded import DEMO_QUESTION

        ns.question = DEMO_QUESTION
    run_agent(ns)
    if not ns.model:
        print(
            "\n(The planner above was a recording. Ask anything with a real model: "
            "LANGCHAIN_WASM_MODEL=openai:gpt-4.1-mini make demo, or "
            "langchain-wasm agent 'your question' --model anthropic:claude-sonnet-4-5 / ollama:llama3.2.)"
        )


_EXAMPLES = {
    "weather": {"city": "Reykjavik", "units": "metric"},
    "text_stats": {"text": "Wasm tools are fast. Wasm tools are safe!"},
    "matmul": {"a": [[1, 2], [3, 4]], "b": [[5, 6], [7, 8]]},
    "sha256": {"text": "hello"},
    "quadratic": {"a": 1, "b": -3, "c": 2},
    "quadratic_component": {"a": 1, "b": 2, "c": 5},
}


def _tools_demo() -> None:
    from langchain_wasm.tools import WasmToolkit

    print("\nGuests in guests/ as LangChain tools (one fresh sandbox per call):")
    for tool in WasmToolkit.from_directory().get_tools():
        guest = tool.guest  # type: ignore[attr-defined]
        args = _EXAMPLES.get(tool.name)
        lang = guest.manifest.get("language", "?")
        if args is None:
            print(f"  {tool.name:<20} [{guest.abi}, {lang}] (no example)")
            continue
        msg = tool.invoke({"type": "tool_call", "id": "demo", "name": tool.name, "args": args})
        metrics = msg.artifact["metrics"] if msg.artifact else {}
        content = str(msg.content)
        print(f"  {tool.name:<20} [{guest.abi}, {lang}] {json.dumps(args)[:60]}")
        print(
            f"  {'':<20} -> {content[:100]}{'...' if len(content) > 100 else ''} "
            f"({metrics.get('wall_s', 0) * 1000:.1f} ms, fuel {metrics.get('fuel_used', 0)})"
        )
    try:
        from langchain_wasm.tools import WasmTool

        bad = WasmTool.from_manifest(GUESTS.parent / "weather").invoke(
            {"type": "tool_call", "id": "demo", "name": "weather", "args": {"city": "Atlantis"}}
        )
        print(f"\n  what the model sees for a bad city: {str(bad.content)[:140]}...")
    except LangChainWasmError as exc:  # pragma: no cover - a broken checkout
        print(f"  weather guest unavailable: {exc}")


if __name__ == "__main__":
    sys.exit(main())
