"""Regenerate the published figures of docs/security.md with one command (`make security-report`).

    python bench/security_report.py [--quick] [--fuzz-modules N] [--examples N] [--sequential N]
                                    [--threads T] [--per-thread M] [--kills K] [--seed S] [--no-write]

Runs the reliability suite (tests/reliability) at full size in a child pytest, each test writing what it
measured as JSON into a temp directory (LCW_REPORT_DIR), then rewrites the block between the
`<!-- figures:begin -->` and `<!-- figures:end -->` markers of docs/security.md, labelled with the machine and
the date. The suite must pass: a failing run prints its output and leaves the document untouched.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "security.md"
BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"
FULL = {
    "session_kills": 10,
    "fuzz_modules": 10_000,
    "fuzz_components": 1000,
    "examples": 1000,
    "sequential": 10_000,
    "threads": 8,
    "per_thread": 1000,
    "kills": 10,
}
QUICK = {
    "session_kills": 4,
    "fuzz_modules": 300,
    "fuzz_components": 60,
    "examples": 100,
    "sequential": 2000,
    "threads": 8,
    "per_thread": 250,
    "kills": 3,
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def run_suite(sizes: dict[str, int], seed: int, out_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        LCW_REPORT_DIR=str(out_dir),
        LCW_FUZZ_MODULES=str(sizes["fuzz_modules"]),
        LCW_FUZZ_COMPONENTS=str(sizes["fuzz_components"]),
        LCW_FUZZ_SEED=str(seed),
        LCW_PROPERTY_EXAMPLES=str(sizes["examples"]),
        LCW_SOAK_SEQUENTIAL=str(sizes["sequential"]),
        LCW_SOAK_THREADS=str(sizes["threads"]),
        LCW_SOAK_PER_THREAD=str(sizes["per_thread"]),
        LCW_FAULT_KILLS=str(sizes["kills"]),
        LCW_SESSION_KILLS=str(sizes["session_kills"]),
    )
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "timeout=3600", "tests/reliability"]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)


def _load(out_dir: Path, name: str) -> Any:
    path = out_dir / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _n(x: int | float) -> str:
    return f"{x:,}"


def render(out_dir: Path, sizes: dict[str, int], seed: int, wall_s: float) -> str:
    fuzz = _load(out_dir, "fuzz")
    cfuzz = _load(out_dir, "component_fuzz")
    props = _load(out_dir, "property_cases") or {}
    comp = _load(out_dir, "component_properties") or {"cases": 0}
    seq = _load(out_dir, "soak_sequential")
    conc = _load(out_dir, "soak_concurrent")
    kills = _load(out_dir, "kills")
    tests = _load(out_dir, "tests") or {"passed": {}, "failed": {}}
    passed = tests["passed"]
    today = datetime.date.today().isoformat()
    lines = [
        BEGIN,
        "",
        f"Measured {today} on {machine()}; CPython {platform.python_version()}, wasmtime-py {version('wasmtime')},"
        f" hypothesis {version('hypothesis')}; seed {seed}; {wall_s / 60:.1f} min for the whole run."
        " Regenerate with `make security-report` (figures from one run, nothing edited by hand).",
        "",
        "| what | figure |",
        "|---|---|",
    ]
    if fuzz:
        findings = fuzz["findings"]
        kinds = {k: sum(1 for f in findings if f["kind"] == k) for k in ("crash", "hang", "untyped")}
        lines.append(
            f"| modules fuzzed | {_n(fuzz['modules'])} (`wasm-tools smith`, 4 profiles;"
            f" {_n(fuzz['mutated'])} byte-mutated; {_n(fuzz['loaded'])} loaded;"
            f" {_n(fuzz['modules_with_a_successful_call'])} with a successful call) |"
        )
        lines.append(f"| fuzz cases (load, inspect, check, schema, call, tool call) | {_n(fuzz['cases'])} |")
        lines.append(
            f"| fuzz findings | crashes {kinds['crash']}, hangs {kinds['hang']}, untyped exceptions {kinds['untyped']},"
            f" sandbox escapes {sum(1 for f in findings if 'escape' in f.get('what', ''))} |"
        )
    if cfuzz:
        cfindings = cfuzz["findings"]
        calls = cfuzz["by_stage"].get("call", {})
        lines.append(
            f"| components fuzzed | {_n(cfuzz['modules'])} (random WIT worlds: records, variants, enums, flags, lists,"
            f" options, results, tuples, every scalar, resources; code answering with random bytes);"
            f" {_n(cfuzz['cases'])} cases; results lifted and schema-valid {_n(calls.get('ok', 0))}, refused as"
            f" traps or bad results {_n(sum(v for k, v in calls.items() if k != 'ok'))};"
            f" findings: crashes {sum(1 for f in cfindings if f['kind'] == 'crash')},"
            f" hangs {sum(1 for f in cfindings if f['kind'] == 'hang')},"
            f" untyped or schema-breaking {sum(1 for f in cfindings if f['kind'] == 'untyped')} |"
        )
    prop_total = sum(props.values()) + comp["cases"]
    lines.append(
        f"| property cases (hypothesis) | {_n(prop_total)}: core/buffer/json-stdio/tool"
        f" {_n(sum(v for k, v in props.items() if not k.startswith('schema')))}, JSON Schema vs pydantic"
        f" {_n(sum(v for k, v in props.items() if k.startswith('schema')))},"
        f" component WIT values {_n(comp['cases'])};"
        f" {sizes['examples']} examples per property; failures 0 |"
    )
    lines.append(
        f"| hostile cases contained (beyond tests/guests/test_hostile.py) | {passed.get('test_hostile_more.py', 0)} |"
    )
    for label, soak in (("sequential", seq), ("concurrent", conc)):
        if soak:
            who = (
                f" {soak['threads']} threads x {_n(soak['calls'] // soak['threads'])}" if label == "concurrent" else ""
            )
            lines.append(
                f"| calls soaked, {label}{who} | {_n(soak['calls'])} over {len(soak['by_kind'])} guest kinds"
                f" (6 hostile); wrong results {soak['failure_count']}, deadlock {'yes' if soak['deadlock'] else 'no'};"
                f" RSS {soak['rss_start_mib']} -> {soak['rss_end_mib']} MiB,"
                f" fds {soak['fds_start']} -> {soak['fds_end']},"
                f" temp files {soak['temp_files_start']} -> {soak['temp_files_end']}; {soak['wall_s']} s |"
            )
    if kills:
        lines.append(
            f"| agent process SIGKILLed at random moments and resumed | {kills['kills']} kills"
            f" over {kills['processes']} processes and {kills.get('plans', 1)} plans of {kills['steps']} chained"
            " steps; every plan completed with the right result, 0 steps lost, 0 recorded steps re-run"
            f" ({kills['step_starts']} step starts in all: only interrupted steps started again) |"
        )
    session_kills = [_load(out_dir, f"session_kills_{mode}") for mode in ("run", "load")]
    if all(session_kills):
        run_k, load_k = session_kills
        lines.append(
            f"| Python session workers SIGKILLed mid-run/mid-save and mid-restore (SQLite store) |"
            f" {run_k['kills']} + {load_k['kills']} kills; every session came back at its last committed turn"
            f" ({run_k['final_x']} turns committed), memory and workspace agreeing; damaged store rows (flipped,"
            f" truncated, foreign, deleted) refused with SnapshotError: {passed.get('test_session_faults.py', 0) - 2}"
            " of 4 |"
        )
    served = _load(out_dir, "served_load")
    if served:
        lines.append(
            f"| served agent under load (`langgraph dev`, langgraph-sdk) | {served['runs']} runs across"
            f" {served['threads']} threads at once; wrong answers {served['wrong']}; server RSS"
            f" {served['rss_warm_mib']} -> {served['rss_end_mib']} MiB after warm-up |"
        )
    surfaces = {
        "test_compiler_hostile.py": "hostile C/C++ source and flags (in-Wasm clang)",
        "test_network_hostile.py": "hostile network use (HTTP grant)",
        "test_session_faults.py": "Python session faults",
        "test_workspace_quota_calls.py": "filling the disk through a `WasmModule` call's writable preopen (bytes,"
        " files, directories, links, pwrite, sparse truncation, loops past EDQUOT)",
    }
    for file, label in surfaces.items():
        if passed.get(file):
            lines.append(f"| {label}: cases contained | {passed[file]} |")
    lines.append(
        f"| other faults survived (hostile steps mid-plan, cache corrupted/swapped/raced/deleted/unwritable, full disk)"
        f" | {passed.get('test_faults.py', 0) - (1 if kills else 0)} scenarios |"
    )
    failed = sum(tests["failed"].values())
    lines += ["", f"Reliability tests: {sum(passed.values())} passed, {failed} failed.", "", END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the default-run sizes (a smoke test of this script)")
    for key in FULL:
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, dest=key)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="print the block instead of updating the doc")
    args = parser.parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    sizes.update({k: getattr(args, k) for k in FULL if getattr(args, k) is not None})
    print(f"running tests/reliability with {sizes} ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="lcw-report-") as tmp:
        t0 = datetime.datetime.now()
        proc = run_suite(sizes, args.seed, Path(tmp))
        wall = (datetime.datetime.now() - t0).total_seconds()
        if proc.returncode != 0:
            print(proc.stdout[-8000:], proc.stderr[-4000:], sep="\n")
            print("the reliability suite failed; docs/security.md left unchanged", file=sys.stderr)
            return 1
        block = render(Path(tmp), sizes, args.seed, wall)
    if args.no_write:
        print(block)
        return 0
    text = DOC.read_text()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{DOC}: no {BEGIN} ... {END} block to replace")
    DOC.write_text(pattern.sub(lambda _: block, text))
    print(block)
    print(f"updated {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
