"""Python sessions kept in a LangGraph store: snapshot sizes, save/restore times per store, and what keeping
the session in a store adds to a WasmPythonTool call (ratio against the same call without a store, same run).

    python bench/bench_sessions.py [--calls N] [--dsn postgresql://...]

Stores: InMemoryStore, SqliteStore (a file), and PostgresStore when ``--dsn`` is given (or, if Debian's
PostgreSQL is installed, a throwaway server started here and stopped by PID).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("LANGCHAIN_WASM_CACHE_DIR", tempfile.mkdtemp(prefix="lcw-bench-"))

from langgraph.store.memory import InMemoryStore

from langchain_wasm import WasmPythonSandbox, WasmPythonTool
from langchain_wasm.python.persist import SessionStore

CASES = {
    "bare": "x = 41",
    "pandas": "import numpy as np, pandas as pd\ndf = pd.DataFrame({'v': np.arange(100_000)})",
}


def _median(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


@contextlib.contextmanager
def _stores(dsn: str | None) -> Iterator[dict[str, Any]]:
    from langgraph.store.sqlite import SqliteStore

    tmp = Path(tempfile.mkdtemp(prefix="lcw-bench-stores-"))
    with contextlib.ExitStack() as stack:
        stores: dict[str, Any] = {"memory": InMemoryStore()}
        sqlite = stack.enter_context(SqliteStore.from_conn_string(str(tmp / "store.db")))
        sqlite.setup()
        stores["sqlite"] = sqlite
        if dsn is None:
            dsn = stack.enter_context(_own_postgres())
        if dsn:
            from langgraph.store.postgres import PostgresStore

            pg = stack.enter_context(PostgresStore.from_conn_string(dsn))
            pg.setup()
            stores["postgres"] = pg
        yield stores
    shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _own_postgres() -> Iterator[str | None]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    try:
        from tests.serve.servers import Postgres, postgres_bin
    except ImportError:
        yield None
        return
    if postgres_bin() is None:
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="lcw-pg-"))
    pg = Postgres(root)
    try:
        pg.start()
        yield pg.dsn
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=15)
    ap.add_argument("--dsn", default=None, help="a PostgreSQL DSN (default: start one if installed)")
    args = ap.parse_args()
    sandbox = WasmPythonSandbox(quiet=True)
    sandbox.warm_up()
    with _stores(args.dsn) as stores:
        print(f"{'case':8} {'snapshot':>10} {'store':9} {'save ms':>8} {'restore ms':>11}")
        for case, code in CASES.items():
            with sandbox.session() as s:
                s.run(code)
                size = len(s.snapshot())
                for name, store in stores.items():
                    sessions = SessionStore(store)
                    save = _median(lambda: sessions.save(f"bench-{case}", s), args.calls)  # noqa: B023

                    def restore() -> None:
                        restored = sessions.load(f"bench-{case}", sandbox)  # noqa: B023
                        assert restored is not None
                        restored.close()

                    load = _median(restore, args.calls)
                    print(f"{case:8} {size / 1e6:>8.2f}MB {name:9} {save * 1e3:>8.1f} {load * 1e3:>11.1f}")
        print()
        print("WasmPythonTool call 'n += 1' on a live session, with and without a store (save after each call)")
        base_tool = WasmPythonTool(sandbox=sandbox)
        config = {"configurable": {"thread_id": "bench"}}
        base_tool.invoke({"code": "n = 0"}, config)
        base = _median(lambda: base_tool.invoke({"code": "n += 1"}, config), args.calls)
        print(f"  no store   {base * 1e3:8.2f} ms")
        for name, store in stores.items():
            tool = WasmPythonTool(sandbox=sandbox, session_store=store)
            tool.invoke({"code": "n = 0"}, config)
            t = _median(lambda: tool.invoke({"code": "n += 1"}, config), args.calls)  # noqa: B023
            print(f"  {name:10} {t * 1e3:8.2f} ms  ({t / base:.1f}x)")
            tool.close()
        base_tool.close()
    sandbox.close()


if __name__ == "__main__":
    main()
