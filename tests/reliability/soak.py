"""Soak and load: many calls, sequential and from many threads, over a mix of the repo's guests (some of them
hostile), every result checked, with the host's resident memory, file descriptors, threads and temp files
compared before and after.

    python -m tests.reliability.soak [--sequential N] [--threads T] [--per-thread M] [--seed S] [--json]

Each job is a guest, arguments drawn from a seeded RNG, and the expected outcome computed independently: the
value (hashlib for sha256, Python for matmul and calc, the weather table, the quadratic formula, the first
result for deterministic guests checked elsewhere) or the typed error a hostile guest must end with.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GUESTS = ROOT / "guests"
CALC = ROOT / "tests" / "fixtures" / "calc" / "calc.wasm"

Check = Callable[[Any], bool]

#: What a soak mixes: guests that work (checked against independent results) and hostile ones (checked for
#: their typed error).
KINDS = [
    "sha256", "matmul", "weather", "text_stats", "quadratic", "calc", "typed", "cat_preopen",
    "loop", "stack", "bomb", "flood", "liar", "exit_code",
]  # fmt: skip


@dataclass
class Job:
    kind: str
    run: Callable[[], Any]
    check: Check | None = None  # for a value
    error: type[BaseException] | None = None  # for a hostile guest


def _weather_table() -> dict[str, Any]:
    return dict(json.loads((GUESTS / "weather" / "weather_table.json").read_text()))


def _roots(a: float, b: float, c: float) -> int:
    d = b * b - 4 * a * c
    return 0 if d < 0 else (1 if d == 0 else 2)


class Mix:
    """The guests, loaded once, and a seeded job generator over them."""

    def __init__(self) -> None:
        from langchain_wasm import Limits
        from langchain_wasm.abi.component import WasmComponent
        from langchain_wasm.guest.guest import Guest

        self.Limits = Limits
        load = Guest.load
        self.weather = load(GUESTS / "weather")
        self.sha256 = load(GUESTS / "sha256")
        self.matmul = load(GUESTS / "matmul")
        self.text_stats = load(GUESTS / "text_stats")
        self.quadratic = load(GUESTS / "quadratic")
        self.typed = load(GUESTS / "typed_component")
        self.calc = WasmComponent.from_file(CALC)
        hostile = GUESTS / "hostile"
        self.loop = load(hostile / "loop")
        self.stack = load(hostile / "stack_overflow")
        self.bomb = load(hostile / "memory_bomb")
        self.flood = load(hostile / "output_flood")
        self.liar = load(hostile / "liar")
        self.exit_code = load(hostile / "exit_code")
        from langchain_wasm import Capabilities, Preopen, WasmModule

        self.cat = WasmModule.from_file(GUESTS / "wat" / "cat.wat")
        self.workdir = tempfile.mkdtemp(prefix="lcw-soak-work-")
        self.preopened = Capabilities.command(preopens=(Preopen(self.workdir, "/work"),))
        self.cities = sorted(_weather_table())
        self.table = _weather_table()
        self._first: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _same_as_first(self, key: str) -> Check:
        def check(value: Any) -> bool:
            with self._lock:
                first = self._first.setdefault(key, value)
            return bool(value == first)

        return check

    def job(self, rng: random.Random) -> Job:
        from langchain_wasm.errors import (
            WasmAbiError,
            WasmFuelExhaustedError,
            WasmGuestError,
            WasmMemoryLimitError,
            WasmOutputLimitError,
            WasmTrapError,
        )

        kind = rng.choice([*KINDS, "sha256"])
        if kind == "sha256":
            text = "".join(rng.choice("abcdé😀 \n") for _ in range(rng.randrange(0, 2000)))
            want = hashlib.sha256(text.encode()).hexdigest()
            return Job(kind, lambda: self.sha256.call({"text": text}).value, lambda v: v == want)
        if kind == "matmul":
            n, m, p = rng.randrange(1, 9), rng.randrange(1, 9), rng.randrange(1, 9)
            a = [[rng.uniform(-10, 10) for _ in range(m)] for _ in range(n)]
            b = [[rng.uniform(-10, 10) for _ in range(p)] for _ in range(m)]
            want = [[sum(a[i][k] * b[k][j] for k in range(m)) for j in range(p)] for i in range(n)]
            return Job(
                kind,
                lambda: self.matmul.call({"a": a, "b": b}).value,
                lambda v: (
                    all(
                        math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
                        for r, w in zip(v, want, strict=True)
                        for x, y in zip(r, w, strict=True)
                    )
                    and len(v) == n
                ),
            )
        if kind == "weather":
            city = rng.choice(self.cities)
            row = self.table[city]
            return Job(
                kind,
                lambda: self.weather.call({"city": city}).value,
                lambda v: v["city"] == city and v["temperature"] == row["temperature"],
            )
        if kind == "text_stats":
            words = [rng.choice(["wasm", "agent", "host", "sandbox", "Guest"]) for _ in range(rng.randrange(0, 40))]
            text = " ".join(words) + rng.choice(["", ".", "!"])
            return Job(kind, lambda: self.text_stats.call({"text": text}).value, self._check_stats(text))
        if kind == "quadratic":
            a, b, c = rng.uniform(0.1, 5), rng.uniform(-10, 10), rng.uniform(-10, 10)
            return Job(
                kind,
                lambda: self.quadratic.call({"a": a, "b": b, "c": c}).value,
                lambda v: v["count"] == _roots(a, b, c),
            )
        if kind == "calc":
            x, y = rng.randrange(2**32), rng.randrange(2**32)
            return Job(kind, lambda: self.calc.call_json("add", {"a": x, "b": y}).value, lambda v: v == (x + y) % 2**32)
        if kind == "cat_preopen":  # stdio through pipes and an unlinked stdin file (the preopen path)
            payload = rng.randbytes(rng.randrange(0, 5000))
            return Job(
                kind,
                lambda: (
                    self.cat.run(stdin=payload, capabilities=self.preopened, limits=self.Limits(timeout_s=5)).stdout
                ),
                lambda v: v == payload,
            )
        if kind == "typed":
            value = rng.choice([0.0, 1.5, 100.0, -40.0])
            args = {"value": value, "from-unit": "celsius", "to-unit": "fahrenheit"}
            return Job(
                kind,
                lambda: self.typed.module.call_json("api#convert", args).value,  # type: ignore[union-attr]
                lambda v: math.isclose(v["ok"], value * 9 / 5 + 32),
            )
        small = self.Limits(fuel=rng.randrange(10_000, 200_000))
        hostile: dict[str, tuple[Callable[[], Any], type[BaseException]]] = {
            "loop": (lambda: self.loop.call({}, limits=small), WasmFuelExhaustedError),
            "stack": (lambda: self.stack.call({}), WasmTrapError),
            "bomb": (lambda: self.bomb.call({}), WasmMemoryLimitError),
            "flood": (lambda: self.flood.call({}), WasmOutputLimitError),
            "liar": (lambda: self.liar.call({}), WasmAbiError),
            "exit_code": (lambda: self.exit_code.call({}), WasmGuestError),
        }
        run, error = hostile[kind]
        return Job(kind, run, error=error)

    def _check_stats(self, text: str) -> Check:
        words = len(text.split())

        def check(value: Any) -> bool:
            return bool(value["words"] == words and value["bytes"] == len(text.encode()))

        return check


def execute(job: Job) -> str | None:
    """Run one job; ``None`` if the outcome is the expected one, else a description of what went wrong."""
    try:
        value = job.run()
    except Exception as exc:
        if job.error is not None and isinstance(exc, job.error):
            return None
        return f"{job.kind}: {type(exc).__name__}: {str(exc)[:200]}"
    if job.error is not None:
        return f"{job.kind}: returned {str(value)[:100]} instead of raising {job.error.__name__}"
    if job.check is not None and not job.check(value):
        return f"{job.kind}: wrong result {str(value)[:200]}"
    return None


@dataclass
class Resources:
    rss_bytes: int
    fds: int
    threads: int
    temp_files: int

    @staticmethod
    def now() -> Resources:
        gc.collect()
        rss = 0
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
        except OSError:
            pass
        fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else -1
        tmp = tempfile.gettempdir()
        temp_files = sum(1 for n in os.listdir(tmp) if n.startswith(("lcw-stdin-", ".tmp-")))
        workers = sum(1 for t in threading.enumerate() if t.name != "langchain-wasm-epoch")
        return Resources(rss, fds, workers, temp_files)


@dataclass
class SoakReport:
    mode: str
    calls: int = 0
    threads: int = 1
    by_kind: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    deadlock: bool = False
    before: Resources | None = None
    after: Resources | None = None
    wall_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "calls": self.calls,
            "threads": self.threads,
            "by_kind": dict(sorted(self.by_kind.items())),
            "failures": self.failures[:20],
            "failure_count": len(self.failures),
            "deadlock": self.deadlock,
            "rss_start_mib": round(self.before.rss_bytes / 2**20, 1) if self.before else None,
            "rss_end_mib": round(self.after.rss_bytes / 2**20, 1) if self.after else None,
            "fds_start": self.before.fds if self.before else None,
            "fds_end": self.after.fds if self.after else None,
            "threads_start": self.before.threads if self.before else None,
            "threads_end": self.after.threads if self.after else None,
            "temp_files_start": self.before.temp_files if self.before else None,
            "temp_files_end": self.after.temp_files if self.after else None,
            "wall_s": round(self.wall_s, 1),
        }


def warm_up(mix: Mix) -> None:
    """One call of every kind (compiles, linkers, first results) so the 'before' snapshot is steady."""
    rng = random.Random("warm-up")
    seen: set[str] = set()
    while len(seen) < len(KINDS):
        job = mix.job(rng)
        if job.kind not in seen:
            seen.add(job.kind)
            execute(job)


def sequential(mix: Mix, calls: int, seed: int = 0) -> SoakReport:
    report = SoakReport("sequential", calls=calls)
    rng = random.Random(f"soak-seq:{seed}")
    report.before = Resources.now()
    t0 = time.perf_counter()
    for _ in range(calls):
        job = mix.job(rng)
        report.by_kind[job.kind] += 1
        problem = execute(job)
        if problem:
            report.failures.append(problem)
    report.wall_s = time.perf_counter() - t0
    report.after = Resources.now()
    return report


def concurrent(mix: Mix, threads: int, per_thread: int, seed: int = 0, join_timeout: float = 900.0) -> SoakReport:
    report = SoakReport("concurrent", calls=threads * per_thread, threads=threads)
    lock = threading.Lock()

    def worker(index: int) -> None:
        rng = random.Random(f"soak-conc:{seed}:{index}")
        for _ in range(per_thread):
            job = mix.job(rng)
            problem = execute(job)
            with lock:
                report.by_kind[job.kind] += 1
                if problem:
                    report.failures.append(f"thread {index}: {problem}")

    report.before = Resources.now()
    t0 = time.perf_counter()
    pool = ThreadPoolExecutor(threads, thread_name_prefix="soak")
    futures = [pool.submit(worker, i) for i in range(threads)]
    deadline = time.monotonic() + join_timeout
    for f in futures:
        try:
            f.result(timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            report.deadlock = True
        except Exception as exc:  # a worker crashed outside a job: report it, never hide it
            report.failures.append(f"worker crashed: {exc!r}")
    pool.shutdown(wait=not report.deadlock, cancel_futures=True)
    report.wall_s = time.perf_counter() - t0
    report.after = Resources.now()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=int(os.environ.get("LCW_SOAK_SEQUENTIAL", "10000")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("LCW_SOAK_THREADS", "8")))
    parser.add_argument("--per-thread", type=int, default=int(os.environ.get("LCW_SOAK_PER_THREAD", "1000")))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("LANGCHAIN_WASM_CACHE_DIR", tempfile.mkdtemp(prefix="lcw-soak-cache-"))
    mix = Mix()
    warm_up(mix)
    reports = [
        sequential(mix, args.sequential, args.seed).as_dict(),
        concurrent(mix, args.threads, args.per_thread, args.seed).as_dict(),
    ]
    if args.json:
        print(json.dumps(reports, indent=1))
    else:
        for r in reports:
            print(json.dumps(r))
    return 0 if all(not r["failure_count"] and not r["deadlock"] for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
