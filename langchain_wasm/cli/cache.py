"""``langchain-wasm cache``: where the compile cache and the Python runtime's files are, and clearing them.

One cache serves everything (the tests, the CLI, your programs): ``$LANGCHAIN_WASM_CACHE_DIR``, else
``$XDG_CACHE_HOME/langchain-wasm``, else ``~/.cache/langchain-wasm``; the Python runtime's unpacked files sit
beside it in ``...-python``. ``make clean`` runs ``cache clear``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

from langchain_wasm.cli._common import print_result

__all__ = ["add_parser", "locations", "run"]

_PYTHON_ENTRY = re.compile(r"^[0-9a-f]{24}$")  # one folder per runtime build (its zip's digest)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("cache", help="show the compile cache (sizes, paths), or `cache clear` to delete it")
    p.add_argument("action", nargs="?", choices=("info", "clear"), default="info", help="info (default) or clear")
    p.set_defaults(func=run)


def _size(path: Path) -> tuple[int, int]:
    files = total = 0
    if path.is_dir():
        for root, _dirs, names in os.walk(path):
            for name in names:
                with contextlib.suppress(OSError):
                    total += os.lstat(os.path.join(root, name)).st_size
                    files += 1
    return files, total


def locations() -> dict[str, Path]:
    """The compile cache and the Python runtime's data folder this process would use."""
    from langchain_wasm.python.runtime_files import python_data_dir
    from langchain_wasm.runtime.cache import default_cache_dir

    compile_dir = default_cache_dir()
    return {"compile_cache": compile_dir, "python_files": python_data_dir(compile_dir)}


def _clear_python(folder: Path) -> tuple[int, int]:
    removed = freed = 0
    if not folder.is_dir():
        return 0, 0
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink() and _PYTHON_ENTRY.match(entry.name):
            files, size = _size(entry)
            shutil.rmtree(entry, ignore_errors=True)
            removed, freed = removed + files, freed + size
    with contextlib.suppress(OSError):
        folder.rmdir()
    return removed, freed


def run(ns: argparse.Namespace) -> int:
    from langchain_wasm.runtime.cache import clear_cache_dir

    where = locations()
    if ns.action == "clear":
        files_a, bytes_a = clear_cache_dir(where["compile_cache"])
        files_b, bytes_b = _clear_python(where["python_files"])
        info: dict[str, Any] = {
            "cleared": {k: str(v) for k, v in where.items()},
            "files_removed": files_a + files_b,
            "bytes_freed": bytes_a + bytes_b,
        }
        if not ns.json:
            print(f"Cleared {files_a + files_b} files ({(bytes_a + bytes_b) / 1e6:.1f} MB):")
            for name, path in where.items():
                print(f"  {name:<14} {path}")
            return 0
        print_result(info, True)
        return 0
    rows = {name: (path, *_size(path)) for name, path in where.items()}
    if ns.json:
        print_result({k: {"path": str(p), "files": n, "bytes": b} for k, (p, n, b) in rows.items()}, True)
        return 0
    for name, (path, n, b) in rows.items():
        print(f"{name:<14} {path}  ({n} files, {b / 1e6:.1f} MB)")
    print("Clear with: langchain-wasm cache clear")
    return 0
