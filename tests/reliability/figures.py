"""Figures the reliability tests publish: when ``LCW_REPORT_DIR`` is set (bench/security_report.py sets it), each
test writes what it measured there as JSON, and the report renders docs/security.md from those files."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

#: Examples run per property test (incremented from inside each property body).
CASES: Counter[str] = Counter()
_LOCK = threading.Lock()


def tick(name: str) -> None:
    with _LOCK:
        CASES[name] += 1


def record(section: str, data: Any) -> None:
    """Write ``data`` as ``<LCW_REPORT_DIR>/<section>.json`` (a no-op without the variable)."""
    directory = os.environ.get("LCW_REPORT_DIR")
    if not directory:
        return
    path = Path(directory) / f"{section}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True, default=str))
