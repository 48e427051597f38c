"""Preloaded interpreters: a memory image taken after importing modules once, stamped into new instances.

``import pandas`` costs ~0.7 s inside the sandbox on every fresh interpreter. A sandbox made with
``preload=("numpy", "pandas")`` pays it once per process: it starts one interpreter, installs the driver,
runs the imports, and keeps the linear-memory pages that differ from a fresh instance. Every later interpreter
is a fresh instance started from them, so it starts with the modules imported: the first two of a process get
the pages copied in (33 MiB for numpy + pandas, ~15 ms; 1.4 MB for the driver, ~1 ms), and the second's memory,
fresh instance plus template, becomes a sealed ``MemoryImage`` that every later one maps copy-on-write in
one ``mmap`` (~30 us; measured: a pandas session made in 1.0 ms instead of 15.7). Only the pages an interpreter
writes become its own. The template is built from our own code only, before any user code runs, so nothing
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
from langchain_wasm.runtime.memory_image import MemoryImage

from .interpreter import Interpreter
from .results import ResultCaps
from .runtime_files import PythonRuntime
from .template_file import load_pages, store_pages, template_key, template_path
from .workspace import Workspace

__all__ = ["ImageUnusableError", "Template", "build_template"]


class Template:
    """The pages an interpreter with ``modules`` imported has that a fresh one does not (one per key per process,
    never changed: a plain class, as a dataclass costs ~0.5 ms of every cold start).

    ``sent``: the turn options the template's driver already holds (its last turn's), so an interpreter's
    first turn need not send them. The first two interpreters of a process get the pages copied; the second's
    memory then becomes a ``MemoryImage`` (off the first result's path, on the warm pool's thread when it made
    that interpreter), and every later one maps it copy-on-write with one ``mmap`` instead."""

    __slots__ = ("_image", "_image_lock", "_state", "copied", "mapped", "memory_size", "modules", "runs", "sent")

    def __init__(
        self,
        modules: tuple[str, ...],
        memory_size: int,
        runs: tuple[tuple[int, bytes], ...],
        sent: dict[str, int] | None = None,
    ) -> None:
        self.modules = modules
        self.memory_size = memory_size
        self.runs = runs
        self.sent = sent
        self._image: MemoryImage | None = None
        self._image_lock = threading.Lock()
        self._state = "first"  # "first" -> "build" (the next copy makes the image) -> "building" -> "mapped" | "copy"
        self.copied = 0  # interpreters started by copying the pages, and by mapping the image
        self.mapped = 0

    @property
    def bytes(self) -> int:
        return sum(len(chunk) for _, chunk in self.runs)

    def apply(self, interp: Interpreter) -> None:
        """Write the template into ``interp`` (a fresh instance whose driver was not installed). Raises
        ``WasmMemoryLimitError`` if it does not fit the interpreter's memory cap, ``ImageUnusableError`` (the
        interpreter ended, the image dropped for good) if the kernel refused to map the image."""
        image = self._image
        if image is not None:
            try:
                interp.kept.map_image(image)
            except OSError as exc:
                with self._image_lock:
                    self._image, self._state = None, "copy"
                image.close()  # its kept pages and view go; interpreters mapped from it keep their mappings
                raise ImageUnusableError(str(exc)) from exc
            self.mapped += 1
        else:
            interp.kept.write_runs(self.memory_size, self.runs)
            self.copied += 1
            with self._image_lock:
                state = self._state
                if state == "build":  # the second copy makes the image, from this fresh memory
                    self._state = "building"  # others meanwhile copy, and do not wait for it
                elif state == "first":
                    self._state = "build"
            if state == "build":
                made = None
                try:
                    made = interp.kept.image_of_memory()
                except Exception:  # only read this memory: the interpreter is fine, later ones copy
                    made = None
                finally:
                    with self._image_lock:
                        self._image, self._state = made, ("mapped" if made is not None else "copy")
        interp.terse = True  # this process's driver, built into the template here
        interp.held_options = dict(self.sent) if self.sent is not None else None

    def start(self, make: Callable[[], Interpreter]) -> Interpreter:
        """``make()`` a fresh interpreter (driver not installed) and apply the template; closes it if that
        fails. If the image could not be mapped, a second one is made and the pages are copied instead."""
        for attempt in (1, 2):
            interp = make()
            try:
                self.apply(interp)
                return interp
            except ImageUnusableError:
                interp.close()
                if attempt == 2:
                    raise
            except BaseException:
                interp.close()
                raise
        raise AssertionError("unreachable")


class ImageUnusableError(WasmCallError):
    """The kernel refused to map a template's memory image (the interpreter ended; copies are used from now)."""


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
                sent = interp.held_options  # what the driver in these pages holds (None if it did not report)
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
        template = _templates[key] = Template(modules, len(memory), runs, sent)
        if not modules:
            store_pages(path, disk_key, template.memory_size, runs, sent)
        return template
