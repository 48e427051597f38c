"""Collects the reliability suite's figures (see figures.py) at the end of the session."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.reliability import figures

_PASSED: Counter[str] = Counter()
_FAILED: Counter[str] = Counter()


def pytest_runtest_logreport(report: Any) -> None:
    if "tests/reliability/" not in report.nodeid or report.when != "call":
        return
    module = report.nodeid.split("::")[0].rsplit("/", 1)[-1]
    (_PASSED if report.passed else _FAILED)[module] += report.passed or report.failed


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    figures.record("tests", {"passed": dict(_PASSED), "failed": dict(_FAILED)})
    figures.record("property_cases", dict(figures.CASES))
