"""Soak and load, scaled down for the default run (``LCW_SOAK_SEQUENTIAL``, ``LCW_SOAK_THREADS``,
``LCW_SOAK_PER_THREAD`` raise it; ``make soak`` runs the published 10,000 sequential and 8 x 1,000 concurrent).

Every result is checked against an independent reference or the typed error a hostile guest must end with; the
host's file descriptors, worker threads and temp files must be back where they started, and its resident
memory must not grow by more than a generous bound (a leak of even a few KiB per call would exceed it).
"""

from __future__ import annotations

import os

import pytest

from tests.reliability import soak
from tests.reliability.figures import record

SEQUENTIAL = int(os.environ.get("LCW_SOAK_SEQUENTIAL", "2000"))
THREADS = int(os.environ.get("LCW_SOAK_THREADS", "8"))
PER_THREAD = int(os.environ.get("LCW_SOAK_PER_THREAD", "250"))
RSS_SLACK = 96 * 2**20


@pytest.fixture(scope="module")
def mix():
    m = soak.Mix()
    soak.warm_up(m)
    return m


def _assert_clean(report: soak.SoakReport) -> None:
    data = report.as_dict()
    record(f"soak_{report.mode}", data)
    assert data["failures"] == [], data
    assert not data["deadlock"], data
    assert sum(report.by_kind.values()) == report.calls
    assert set(report.by_kind) == set(soak.KINDS), "every guest kind ran"
    assert report.before is not None
    assert report.after is not None
    assert report.after.fds == report.before.fds, data
    assert report.after.temp_files == report.before.temp_files, data
    assert report.after.threads == report.before.threads, data
    assert report.after.rss_bytes - report.before.rss_bytes < RSS_SLACK, data


def test_sequential_soak(mix):
    _assert_clean(soak.sequential(mix, SEQUENTIAL))


def test_concurrent_load(mix):
    _assert_clean(soak.concurrent(mix, THREADS, PER_THREAD))
