"""The in-Wasm C/C++ compiler: compile latency, first-use cost, and a compiled kernel against native code.

    python bench/bench_compiler.py [--repeat N] [--cold]

- compile latency, warm (the compiler already compiled to native code and loaded; result cache off): a 50-line
  C program at -O2, and C++ with <iostream>/<map>/<vector>; and a result-cache hit.
- first use: loading the compiler from the compile cache in a fresh process (deserialize + checks); with
  ``--cold`` also compiling the compiler itself into an empty cache (minutes, ~2.5 GB).
- the compiled matmul kernel (256x256 f64, the same C source for all three), built by the in-Wasm clang at -O2
  and run in the sandbox, against the same source built natively by gcc -O2 and by clang -O2 in this run.

Needs ``langchain-wasm toolchain install clang``; the native baselines need gcc and clang on PATH.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("LANGCHAIN_WASM_CACHE_DIR", str(Path.home() / ".cache" / "langchain-wasm"))

from langchain_wasm.compiler import WasmCompiler
from langchain_wasm.compiler.result_cache import ResultCache
from langchain_wasm.runtime import Limits

C_PROGRAM = "\n".join(
    ["#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>", ""]
    + [f"static int f{i}(int x) {{ return x * {i + 3} + (x >> {i % 7}); }}" for i in range(40)]
    + ["int main(void) {", "    int acc = 1;"]
    + [f"    acc = f{i}(acc) % 100003;" for i in range(0, 40, 8)]
    + ['    printf("%d\\n", acc);', "    return 0;", "}"]
)
CPP_PROGRAM = r"""
#include <iostream>
#include <map>
#include <string>
#include <vector>
int main() {
    std::map<std::string, int> counts;
    std::vector<std::string> words{"wasm", "clang", "wasm", "sandbox"};
    for (const auto& w : words) counts[w]++;
    for (const auto& [w, n] : counts) std::cout << w << "=" << n << "\n";
}
"""
MATMUL = r"""
#define N 256
static double A[N * N], B[N * N], C[N * N];
double bench(int reps) {
    for (int i = 0; i < N * N; i++) { A[i] = (i % 17) * 0.25; B[i] = (i % 13) * 0.5; }
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) C[i * N + j] = 0;
            for (int k = 0; k < N; k++) {
                double a = A[i * N + k];
                for (int j = 0; j < N; j++) C[i * N + j] += a * B[k * N + j];
            }
        }
    double s = 0;
    for (int i = 0; i < N * N; i++) s += C[i];
    return s;
}
"""


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, min) seconds over ``repeat`` runs after one warm-up run."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def native(cc: str, folder: Path) -> Callable[[int], float] | None:
    exe = shutil.which(cc)
    if exe is None:
        return None
    src, lib = folder / "matmul.c", folder / f"libmatmul_{cc}.so"
    src.write_text(MATMUL)
    subprocess.run([exe, "-O2", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    fn = ctypes.CDLL(str(lib)).bench
    fn.restype, fn.argtypes = ctypes.c_double, [ctypes.c_int]
    return lambda reps: float(fn(reps))


def raw_wasmtime(wasm: bytes) -> Callable[[int], float]:
    """The module on a plain wasmtime engine (no fuel, no epochs): how much the sandbox's interruption costs."""
    import wasmtime

    engine = wasmtime.Engine(wasmtime.Config())
    module = wasmtime.Module(engine, wasm)

    def run(reps: int) -> float:
        store = wasmtime.Store(engine)
        instance = wasmtime.Instance(store, module, [])
        return float(instance.exports(store)["bench"](store, reps))  # type: ignore[operator]

    return run


def fresh_process_load() -> float:
    code = (
        "import time; t=time.perf_counter(); from langchain_wasm.compiler.loader import load_compiler; "
        "load_compiler(quiet=True, tier='cranelift'); print(time.perf_counter()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def cold_compile(tier: str) -> float:
    env = dict(os.environ, LANGCHAIN_WASM_CACHE_DIR=tempfile.mkdtemp(prefix="lcw-bench-cold-"))
    code = (
        "import time; t=time.perf_counter(); from langchain_wasm.compiler.loader import load_compiler; "
        f"load_compiler(quiet=True, tier={tier!r}); print(time.perf_counter()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    shutil.rmtree(env["LANGCHAIN_WASM_CACHE_DIR"], ignore_errors=True)
    return float(out.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cold", action="store_true", help="also compile the compiler into an empty cache")
    ns = ap.parse_args()

    cc = WasmCompiler(cache=ResultCache(None), quiet=True)
    t0 = time.perf_counter()
    cc.warm_up()
    print(f"warm-up (load compiler + first tiny compile in this process): {time.perf_counter() - t0:.2f} s")
    print(f"compiler load from the compile cache, fresh process: {fresh_process_load():.2f} s")
    if ns.cold:
        for tier in ("winch", "cranelift"):
            print(f"first use: compiling the compiler ({tier}) into an empty cache: {cold_compile(tier):.0f} s")

    counter = iter(range(10**9))  # a fresh comment per compile: every compile really runs clang

    def fresh(src: str) -> str:
        return f"{src}\n// run {next(counter)}\n"

    med, low = timed(lambda: cc.compile(fresh(C_PROGRAM), flags=("-O2",)), ns.repeat)
    lines = len(C_PROGRAM.splitlines())
    print(f"compile C ({lines} lines, -O2), warm: median {med * 1000:.0f} ms, min {low * 1000:.0f} ms")
    med, low = timed(lambda: cc.compile(fresh(CPP_PROGRAM), language="c++", flags=("-O2",)), max(2, ns.repeat // 2))
    print(f"compile C++ (iostream/map/vector, -O2), warm: median {med:.2f} s, min {low:.2f} s")
    cached = WasmCompiler(cache=ResultCache(None), quiet=True)
    cached.compile(C_PROGRAM)
    med, _ = timed(lambda: cached.compile(C_PROGRAM), 50)
    print(f"result-cache hit: median {med * 1e6:.0f} us")

    reps, free = 4, Limits(timeout_s=None, fuel=None)
    rows: dict[str, float] = {}
    want = 0.0
    for label, flags in (("-O2", ("-O2",)), ("-O2 -msimd128", ("-O2", "-msimd128"))):
        prog = cc.compile(MATMUL, mode="function", exports=("bench",), flags=flags)
        module = prog.module()
        want = module.call("bench", 1, limits=free).value
        rows[label], _ = timed(lambda module=module: module.call("bench", reps, limits=free), ns.repeat)
        raw = raw_wasmtime(prog.wasm)
        rows[f"{label} raw"], _ = timed(lambda raw=raw: raw(reps), ns.repeat)
    for label, sec in rows.items():
        where = "raw wasmtime, no fuel/epoch (reference)" if label.endswith("raw") else "in the sandbox"
        print(f"matmul 256x256, in-Wasm clang {label.removesuffix(' raw')}, {where}: {sec * 1000 / reps:.1f} ms")
    with tempfile.TemporaryDirectory(prefix="lcw-bench-native-") as folder:
        for name in ("gcc", "clang"):
            fn = native(name, Path(folder))
            if fn is None:
                print(f"  native {name}: not installed")
                continue
            assert abs(fn(1) - want) < 1e-6 * abs(want), (fn(1), want)
            nat_med, _ = timed(lambda fn=fn: fn(reps), ns.repeat)
            ratios = ", ".join(f"{k} {v / nat_med:.2f}x" for k, v in rows.items())
            print(f"  native {name} -O2: {nat_med * 1000 / reps:.1f} ms per matmul; wasm/native: {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
