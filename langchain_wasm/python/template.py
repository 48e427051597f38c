"""Preloaded interpreters: a memory image taken after importing modules once, stamped into new instances.

``import pandas`` costs ~0.7 s inside the sandbox on every fresh interpreter. A sandbox made with
``preload=("numpy", "pandas")`` pays it once per process: it starts one interpreter, installs the driver, runs
the imports, and keeps the linear-memory pages that differ from a fresh instance. Every later interpreter is
a fresh instance with those pages written in (a memory copy of a few tens of MB), so it starts with the
modules imported. The template is built from our own code only, before any user code runs, so nothing
leaks from one user's interpreter into another's.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from langchain_wasm.errors import WasmCallError
from langchain_wasm.runtime.limits import Limits

from .interpreter import Interpreter
from .results import ResultCaps
from .runtime_files import PythonRuntime
from .snapshot import PAGE, changed_pages
from .workspace import Workspace

__all__ = ["Template", "build_template"]


@dataclass(frozen=True, slots=True)
class Template:
    """The pages an interpreter with ``modules`` imported has that a fresh one does not."""

    modules: tuple[str, ...]
    memory_size: int
    runs: tuple[tuple[int, bytes], ...]

    @property
    def bytes(self) -> int:
        return sum(len(chunk) for _, chunk in self.runs)

    def apply(self, interp: Interpreter) -> None:
        """Write the template into ``interp`` (a fresh instance whose driver was not installed)."""
        if self.memory_size > interp.kept.memory_size():
            interp.write_memory(b"\0", self.memory_size - 1)
        for offset, chunk in self.runs:
            interp.write_memory(chunk, offset)
        interp.terse = True  # this process's driver, built into the template here


_lock = threading.Lock()
_templates: dict[tuple[str, tuple[str, ...]], Template] = {}


def build_template(
    runtime: PythonRuntime,
    modules: tuple[str, ...],
    limits: Limits,
    baseline: bytes,
    workspace_root: str | os.PathLike[str] | None,
) -> Template:
    """The process-wide template for ``modules`` (built on first use, under ``limits``)."""
    key = (runtime.digest, modules)
    with _lock:
        found = _templates.get(key)
        if found is not None:
            return found
        workspace = Workspace(workspace_root)
        try:
            interp = Interpreter(runtime, workspace, limits)
            try:
                code = "\n".join(f"__import__({name!r})" for name in modules)  # imported, not bound as names
                result = interp.run(code, limits, ResultCaps())
                if result.error is not None:
                    raise WasmCallError(f"preloading {', '.join(modules)} failed: {result.error}")
                # collect, and restart the cell numbering so the user's first cell is <cell 1>
                interp.run(
                    "__import__('gc').collect()\n__import__('sys').modules['_lcw']._count = 0", limits, ResultCaps()
                )
                memory = interp.read_memory()
            finally:
                interp.close()
        finally:
            workspace.remove()
        runs = tuple(
            (page * PAGE, memory[page * PAGE : (page + count) * PAGE])
            for page, count in changed_pages(memory, baseline)
        )
        template = _templates[key] = Template(modules, len(memory), runs)
        return template
