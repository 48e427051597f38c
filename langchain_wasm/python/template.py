"""Preloaded interpreters: a memory image taken after importing modules once, stamped into new instances.

``import pandas`` costs ~0.7 s inside the sandbox on every fresh interpreter. A sandbox made with
``preload=("numpy", "pandas")`` pays it once per process: it starts one interpreter, installs the driver, runs
the imports, and keeps the linear-memory pages that differ from a fresh instance. Every later interpreter is
a fresh instance with those pages written in (a memory copy of a few tens of MB), so it starts with the
modules imported. The template is built from our own code only, before any user code runs, so nothing
leaks from one user's interpreter into another's.

Without ``preload`` the same machinery holds the driver template (``modules == ()``): a fresh interpreter with
the driver installed, ~1.4 MB of pages. It is also stored on disk (``template_file.py``), so a new process
starts its first interpreter by writing those pages instead of installing the driver.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from langchain_wasm.errors import WasmCallError
from langchain_wasm.runtime.limits import Limits

from .interpreter import Interpreter
from .results import ResultCaps
from .runtime_files import PythonRuntime
from .template_file import load_pages, store_pages, template_key, template_path
from .workspace import Workspace

__all__ = ["Template", "build_template"]


class Template:
    """The pages an interpreter with ``modules`` imported has that a fresh one does not (one per key per process,
    never changed: a plain class, as a dataclass costs ~0.5 ms of every cold start)."""

    __slots__ = ("memory_size", "modules", "runs")

    def __init__(self, modules: tuple[str, ...], memory_size: int, runs: tuple[tuple[int, bytes], ...]) -> None:
        self.modules = modules
        self.memory_size = memory_size
        self.runs = runs

    @property
    def bytes(self) -> int:
        return sum(len(chunk) for _, chunk in self.runs)

    def apply(self, interp: Interpreter) -> None:
        """Write the template into ``interp`` (a fresh instance whose driver was not installed)."""
        interp.kept.write_runs(self.memory_size, self.runs)
        interp.terse = True  # this process's driver, built into the template here


#: Our last cell before the memory is taken: collect, and restart the cell numbering so the user's first cell is
#: <cell 1>.
_RESET = "__import__('gc').collect()\n__import__('sys').modules['_lcw']._count = 0"
_lock = threading.Lock()
_templates: dict[tuple[str, tuple[str, ...]], Template] = {}


def build_template(
    runtime: PythonRuntime,
    modules: tuple[str, ...],
    limits: Limits,
    baseline: Callable[[], bytes],
    workspace_root: str | os.PathLike[str] | None,
) -> Template:
    """The process-wide template for ``modules`` (built on first use, under ``limits``; ``baseline`` gives a fresh
    instance's memory). The driver template (no modules) is loaded from disk when a process stored it before."""
    key = (runtime.digest, modules)
    with _lock:
        found = _templates.get(key)
        if found is not None:
            return found
        disk_key = template_key(runtime, modules, _RESET)
        path = template_path(runtime, disk_key)
        if not modules:
            stored = load_pages(path, disk_key, limits.memory_bytes)
            if stored is not None:
                template = _templates[key] = Template(modules, *stored)
                return template
        workspace = Workspace(workspace_root)
        try:
            interp = Interpreter(runtime, workspace, limits)
            try:
                code = "\n".join(f"__import__({name!r})" for name in modules)  # imported, not bound as names
                result = interp.run(code, limits, ResultCaps())
                if result.error is not None:
                    raise WasmCallError(f"preloading {', '.join(modules)} failed: {result.error}")
                # collect, and restart the cell numbering so the user's first cell is <cell 1>
                interp.run(_RESET, limits, ResultCaps())
                memory = interp.read_memory()
            finally:
                interp.close()
        finally:
            workspace.remove()
        from .snapshot import PAGE, changed_pages  # only to build one

        runs = tuple(
            (page * PAGE, memory[page * PAGE : (page + count) * PAGE])
            for page, count in changed_pages(memory, baseline())
        )
        template = _templates[key] = Template(modules, len(memory), runs)
        if not modules:
            store_pages(path, disk_key, template.memory_size, runs)
        return template
