"""Shared row format of the benchmarks: every row is a figure, its baseline from the same run, a goal, a verdict.

Each ``bench_*.py`` builds ``Row`` objects and calls ``emit``: it prints them as a table and, with
``--json PATH``, appends them as JSON lines, which ``bench/report.py`` turns into ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict, dataclass


@dataclass
class Row:
    """One benchmark row.

    Attributes:
        measure: what is measured.
        now: our figure, in ``unit``.
        baseline: the baseline's figure from the same run (``None``: no baseline, e.g. an absolute goal).
        baseline_name: what the baseline is.
        unit: the unit of ``now`` and ``baseline`` ("us", "ms", "s", "x", "calls/s").
        goal: the goal as text ("<= 1.2x", "<= 1 ms").
        ok: the verdict (``None``: not measured here).
        ratio: ``now / baseline`` unless given (a row may define its own, e.g. added microseconds).
        note: anything a reader needs (why a verdict, what was not run).
        was: the figure when issue 18 was filed, for reference.
    """

    measure: str
    now: float | None
    baseline: float | None
    baseline_name: str
    unit: str
    goal: str
    ok: bool | None
    ratio: float | None = None
    note: str = ""
    was: str = ""

    def __post_init__(self) -> None:
        if self.ratio is None and self.now is not None and self.baseline:
            self.ratio = self.now / self.baseline

    @property
    def verdict(self) -> str:
        """``met`` / ``NOT met`` / ``not measured``."""
        return "not measured" if self.ok is None else ("met" if self.ok else "NOT met")


def fmt(value: float | None, unit: str) -> str:
    """A figure with its unit, at a precision that suits its size."""
    if value is None:
        return "n/a"
    digits = 0 if abs(value) >= 100 else (1 if abs(value) >= 10 else 2)
    return f"{value:.{digits}f} {unit}"


def fmt_ratio(ratio: float) -> str:
    """A ratio: two decimals, or two significant digits when it is tiny (ours against a peer's seconds)."""
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.2g}x"


def load_average() -> str:
    """The machine's 1/5/15-minute load average (the benchmarks share it with others)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def add_json_arg(parser: argparse.ArgumentParser) -> None:
    """The ``--json PATH`` option every benchmark takes."""
    parser.add_argument("--json", default=None, help="append the rows as JSON lines to this file")


def emit(rows: list[Row], json_path: str | None, source: str) -> None:
    """Print ``rows`` as a table (now, baseline, ratio, goal, verdict) and append them to ``json_path``."""
    print(f"\n# {source}: {time.strftime('%Y-%m-%d %H:%M')}, load average {load_average()}")
    print(f"{'measure':58} {'now':>12} {'baseline':>12} {'ratio':>8}  {'goal':<22} verdict")
    for r in rows:
        ratio = "n/a" if r.ratio is None else fmt_ratio(r.ratio)
        print(
            f"{r.measure:58} {fmt(r.now, r.unit):>12} {fmt(r.baseline, r.unit):>12} {ratio:>8}  {r.goal:<22} "
            f"{r.verdict}{'  (' + r.note + ')' if r.note else ''}"
        )
    if json_path:
        with open(json_path, "a", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps({**asdict(r), "verdict": r.verdict, "source": source}) + "\n")
