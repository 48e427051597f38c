"""WasmSandbox (Deep Agents backend) against deepagents' LocalShellBackend (the host's own shell, no isolation),
same run: sandbox start, per-command latency for shell builtins and python3, and a pandas command.

    python bench/bench_sandbox.py [--rounds R]

Remote sandboxes (Modal, Daytona, E2B) cannot be measured here: they need an account and the network.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("LANGCHAIN_WASM_CACHE_DIR", tempfile.mkdtemp(prefix="lcw-bench-"))

from deepagents.backends import LocalShellBackend

from langchain_wasm.integrations.deepagents import WasmSandbox

COMMANDS = {
    "echo": "echo hello",
    "pipeline": "echo a b c > /tmp/f.txt && cat /tmp/f.txt | wc -w",
    "python3 -c": "python3 -c 'print(6 * 7)'",
    "python3 pandas": "python3 -c 'import pandas as pd; print(pd.DataFrame({\"a\": [1, 2]}).a.sum())'",
}


def median_ms(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    backend = WasmSandbox()
    backend.execute("python3 -c 'pass'", timeout=120)  # compile/load the runtime and build the pandas template once
    t0 = time.perf_counter()
    fresh = backend.session("bench-start")
    first = fresh.execute("echo ready", 30.0)
    start_shell_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    fresh.execute("python3 -c 'print(1)'", 30.0)
    first_python_ms = (time.perf_counter() - t0) * 1000
    assert first.exit_code == 0

    root = tempfile.mkdtemp(prefix="lcw-local-")
    local = LocalShellBackend(root_dir=root, virtual_mode=False, inherit_env=True)
    print(f"WasmSandbox start (new sandbox + first command): {start_shell_ms:.1f} ms")
    print(f"WasmSandbox first python3 in a new sandbox (interpreter start): {first_python_ms:.1f} ms")
    print(f"{'command':<16} {'WasmSandbox ms':>15} {'LocalShell ms':>14}")
    for name, command in COMMANDS.items():
        wasm = median_ms(lambda c=command: backend.execute(c), args.rounds)
        host = median_ms(lambda c=command: local.execute(c), args.rounds)
        print(f"{name:<16} {wasm:>15.2f} {host:>14.2f}")
    backend.close()


if __name__ == "__main__":
    main()
