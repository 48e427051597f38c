"""``WasmSandbox``: a Deep Agents sandbox backend that runs locally, isolated in WebAssembly.

Files live in the sandbox's own workspace (``/workspace``, ``/tmp``) and are read and written host-side by
``SandboxFS`` (never following links the guest made); ``execute`` runs a small shell whose builtins work on
those files and whose ``python``/``python3`` runs in CPython compiled to WebAssembly. One sandbox per
LangGraph thread, resolved from the run's config; with a ``SessionStore`` the files survive the process.
"""

from __future__ import annotations

import base64
import codecs
import stat
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from deepagents.backends.protocol import DeleteResult as _DeleteResult
from deepagents.backends.protocol import (
    EditResult,
    ExecuteResponse,
    FileDownloadResponse,
    FileInfo,
    FileUploadResponse,
    GlobResult,
    GrepMatch,
    GrepResult,
    LsResult,
    ReadResult,
    SandboxBackendProtocol,
    WriteResult,
)
from deepagents.backends.utils import (
    EMPTY_CONTENT_WARNING,
    InvalidGlobPatternError,
    _get_backend_read_file_type,
    compile_grep_include_glob,
    normalize_read_bounds,
    perform_string_replacement,
)

from langchain_wasm.python.sandbox import WasmPythonSandbox

from ._fs import normalize
from ._read import read_window
from ._session import SandboxSession

if TYPE_CHECKING:
    from langchain_wasm.python.persist import SessionStore

__all__ = ["WasmSandbox"]

DEFAULT_TIMEOUT_S = 120
MAX_BINARY_BYTES = 500 * 1024
_ERRORS = {
    FileNotFoundError: "file_not_found",
    IsADirectoryError: "is_directory",
    PermissionError: "permission_denied",
    NotADirectoryError: "file_not_found",
}


def _code(exc: OSError) -> str:
    return next((v for k, v in _ERRORS.items() if isinstance(exc, k)), "permission_denied")


def _thread_key(default: str) -> str:
    try:
        from langgraph.config import get_config

        thread = (get_config().get("configurable") or {}).get("thread_id")
    except RuntimeError:  # not inside a LangGraph run
        thread = None
    return str(thread) if thread is not None else default


class WasmSandbox(SandboxBackendProtocol):
    """A local, isolated sandbox for Deep Agents: files and a shell with real CPython, in WebAssembly.

    Setup:
        ``pip install 'langchain-wasm[deepagents]'``

    Instantiation:
        .. code-block:: python

            from deepagents import create_deep_agent
            from langchain_wasm.integrations.deepagents import WasmSandbox

            backend = WasmSandbox()                       # one sandbox per LangGraph thread id
            agent = create_deep_agent(model, backend=backend)

    Invocation:
        .. code-block:: python

            backend.write("/workspace/data.csv", "a,b\\n1,2\\n")
            backend.execute("python3 -c 'import pandas as pd; print(pd.read_csv(\\"data.csv\\").a.sum())'")
            # ExecuteResponse(output='1\\n', exit_code=0, truncated=False)

    Only ``/workspace`` (the working directory) and ``/tmp`` exist and are writable; there is no network, no
    host file and no host process. The shell knows ``; && || |``, redirects, quoting, ``$VAR``, ``$(...)``,
    ``for``/``if``/``while`` and the builtins ``echo printf cat ls mkdir rm mv cp touch wc head tail grep find
    sort test [ chmod pwd cd env export seq sleep true false``; ``python``/``python3`` runs ``-c``, ``-m``, a
    file or stdin in CPython 3.15 with numpy and pandas. Anything else is ``command not found`` (exit 127).
    A command past its timeout is stopped (exit 124); the host is never at risk.

    Args:
        python: the Python sandbox (limits, preloaded modules). Default: numpy and pandas preloaded.
        timeout: default seconds per ``execute``.
        max_output_bytes: most bytes of output one ``execute`` returns (then ``truncated=True``).
        store: a ``SessionStore`` (or LangGraph ``BaseStore``) keeping each thread's files across processes,
            saved after each change; default: the running graph's store, if it has one; ``False``: none.
        thread_id: the sandbox used outside a LangGraph run (or when the run has no thread id).
        per_thread: one sandbox per LangGraph thread id (``False``: always the ``thread_id`` one).
        max_sandboxes: most live sandboxes (each holds an interpreter); past it the least recently used one is
            closed (its files are kept only with a ``store``).
        env: extra environment variables for the shell.
    """

    def __init__(
        self,
        *,
        python: WasmPythonSandbox | None = None,
        timeout: int = DEFAULT_TIMEOUT_S,
        max_output_bytes: int = 1024 * 1024,
        store: SessionStore | Any = None,
        thread_id: str = "default",
        per_thread: bool = True,
        max_sandboxes: int = 32,
        env: dict[str, str] | None = None,
    ) -> None:
        self.python = python or WasmPythonSandbox(preload=("numpy", "pandas"), idle_timeout_s=None, quiet=True)
        self.timeout = timeout
        self.max_output_bytes = max_output_bytes
        if store is not None and store is not False:
            from langchain_wasm.python.threads import as_session_store

            store = as_session_store(store)
        self.store = store
        self.default_thread = thread_id
        self.per_thread = per_thread
        self.max_sandboxes = max_sandboxes
        self.env = {"HOME": "/workspace", "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", **(env or {})}
        self._sessions: dict[str, SandboxSession] = {}
        self._lock = threading.Lock()

    # -- sessions ------------------------------------------------------------------------------------------
    def session(self, thread_id: str | None = None) -> SandboxSession:
        """The sandbox of ``thread_id`` (default: the running LangGraph thread), created or restored on demand;
        with a store, brought up to date if another process saved a newer copy."""
        key = thread_id if thread_id is not None else self._current()
        with self._lock:
            found = self._sessions.pop(key, None)
            if found is not None and not found.closed:
                self._sessions[key] = found  # most recently used last
                session, evicted = found, []
            else:
                evicted = list(self._sessions.items())[: max(0, len(self._sessions) + 1 - self.max_sandboxes)]
                for old_key, _ in evicted:
                    del self._sessions[old_key]
                session = self._sessions[key] = SandboxSession(
                    self.python, env=self.env, max_output_bytes=self.max_output_bytes
                )
        for _, old in evicted:
            old.close()
        store = self._resolve_store()
        if store is not None:
            record = store.record(self._store_key(key))
            if record is not None and record.digest is not None and record.digest != session.digest:
                blob = store.load_bytes(self._store_key(key), record)
                if blob is not None:
                    session.restore(blob, replace=True)
                    session.digest = record.digest
        return session

    def _resolve_store(self) -> SessionStore | None:
        """The explicit store, else the running graph's store (``False``: none)."""
        if self.store is False:
            return None
        if self.store is not None:
            return self.store
        try:
            from langgraph.config import get_store

            found = get_store()
        except (RuntimeError, KeyError):  # not in a run, or a run without a store
            return None
        from langchain_wasm.python.threads import as_session_store

        return as_session_store(found) if found is not None else None

    def _current(self) -> str:
        return _thread_key(self.default_thread) if self.per_thread else self.default_thread

    @staticmethod
    def _store_key(thread: str) -> str:
        return f"deepagents:{thread}"

    def _saved(self, session: SandboxSession) -> None:
        store = self._resolve_store()
        if store is not None:
            key = next((k for k, s in self._sessions.items() if s is session), None)
            if key is not None:
                session.digest = store.save(self._store_key(key), session)  # type: ignore[arg-type]  # duck-typed

    @property
    def id(self) -> str:
        return self.session().id

    def delete_sandbox(self, thread_id: str | None = None) -> None:
        """Delete the sandbox of ``thread_id`` (default: the current one), its files and its saved copy."""
        key = thread_id if thread_id is not None else self._current()
        with self._lock:
            session = self._sessions.pop(key, None)
        if session is not None:
            session.close()
        store = self._resolve_store()
        if store is not None:
            store.delete(self._store_key(key))

    def close(self) -> None:
        """Close every sandbox this backend holds (saved copies stay in the store)."""
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()

    # -- execute -------------------------------------------------------------------------------------------
    def execute(self, command: str, *, timeout: int | None = None) -> ExecuteResponse:
        """Run ``command`` in the sandbox's shell; output is stdout and stderr together."""
        session = self.session()
        limit = float(timeout) if timeout else float(self.timeout)
        result = session.execute(command, limit)
        self._saved(session)
        return ExecuteResponse(output=result.output, exit_code=result.exit_code, truncated=result.truncated)

    # -- file operations -----------------------------------------------------------------------------------
    def ls(self, path: str) -> LsResult:
        fs = self.session().fs
        try:
            entries = fs.listdir(normalize(path))
        except OSError as exc:
            return LsResult(error=f"Path '{path}': {_code(exc)}")
        return LsResult(
            entries=[
                FileInfo(
                    path=e.path, is_dir=e.is_dir, size=e.size, modified_at=datetime.fromtimestamp(e.mtime).isoformat()
                )
                for e in entries
            ]
        )

    def read(self, file_path: str, offset: int = 0, limit: int = 2000) -> ReadResult:
        offset, limit = normalize_read_bounds(offset, limit)
        fs = self.session().fs
        if not file_path.startswith("/"):
            return ReadResult(error=f"File '{file_path}': invalid_path")
        try:
            info = fs.lstat(file_path)
            if info is None or not stat.S_ISREG(info.st_mode):
                return ReadResult(error=f"File '{file_path}': not_a_file")
            if info.st_size == 0:
                return ReadResult(file_data={"encoding": "utf-8", "content": EMPTY_CONTENT_WARNING})
            binary = _get_backend_read_file_type(file_path) != "text"
            if binary and info.st_size > MAX_BINARY_BYTES:
                return ReadResult(error=f"File '{file_path}': Binary file exceeds maximum preview size of 512000 bytes")
            raw = fs.read_bytes(file_path)
        except OSError as exc:
            return ReadResult(error=f"File '{file_path}': {_code(exc)}")
        if not binary:
            try:
                codecs.getincrementaldecoder("utf-8")().decode(raw[:8192], final=False)
            except UnicodeDecodeError:
                binary = True
        if binary:
            return ReadResult(file_data={"encoding": "base64", "content": base64.b64encode(raw).decode("ascii")})
        return read_window(raw, file_path, offset, limit)

    def write(self, file_path: str, content: str) -> WriteResult:
        """Create or overwrite ``file_path`` (folders are created), as every Deep Agents backend does."""
        session = self.session()
        try:
            session.fs.write_bytes(normalize(file_path), content.encode("utf-8"), parents=True)
        except OSError as exc:
            return WriteResult(error=f"Failed to write file '{file_path}': {_code(exc)} ({exc.strerror})")
        self._saved(session)
        return WriteResult(path=file_path)

    def edit(self, file_path: str, old_string: str, new_string: str, replace_all: bool = False) -> EditResult:
        session = self.session()
        try:
            content = session.fs.read_bytes(normalize(file_path)).decode("utf-8")
        except FileNotFoundError:
            return EditResult(error=f"Error: File '{file_path}' not found")
        except (OSError, UnicodeDecodeError) as exc:
            return EditResult(error=f"Error: cannot edit '{file_path}': {exc}")
        outcome = perform_string_replacement(content, old_string, new_string, replace_all)
        if isinstance(outcome, str):
            if "appears" in outcome:
                outcome = outcome.replace("Error: ", "Error: multiple occurrences. ", 1)
            return EditResult(error=outcome)
        new_content, count = outcome
        try:
            session.fs.write_bytes(normalize(file_path), new_content.encode("utf-8"))
        except OSError as exc:
            return EditResult(error=f"Error: cannot write '{file_path}': {exc.strerror}")
        self._saved(session)
        return EditResult(path=file_path, occurrences=count)

    def delete(self, file_path: str) -> _DeleteResult:
        session = self.session()
        try:
            session.fs.remove(normalize(file_path), recursive=True)
        except OSError as exc:
            return _DeleteResult(error=f"Error: cannot delete '{file_path}': {_code(exc)}")
        self._saved(session)
        return _DeleteResult(path=file_path)

    def _files_under(self, path: str | None) -> tuple[str, list[Any]]:
        fs = self.session().fs
        root = normalize(path or "/workspace")
        return root, [e for e in fs.walk(root) if e.is_file]

    def grep(
        self, pattern: str, path: str | None = None, glob: str | None = None, *, max_count: int | None = None
    ) -> GrepResult:
        """Literal (not regex) search of every text file under ``path``; ``glob`` filters file names."""
        try:
            include = compile_grep_include_glob(glob) if glob else None
        except InvalidGlobPatternError as exc:
            return GrepResult(error=str(exc))
        fs = self.session().fs
        root, files = self._files_under(path)
        matches: list[GrepMatch] = []
        for entry in sorted(files, key=lambda e: e.path):
            rel = entry.path[len(root.rstrip("/")) + 1 :]
            if include is not None and not include(rel):
                continue
            try:
                text = fs.read_bytes(entry.path).decode("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for n, line in enumerate(text.splitlines(), 1):
                if pattern in line:
                    if max_count is not None and len(matches) >= max_count:
                        return GrepResult(matches=matches, truncated=True)
                    matches.append(GrepMatch(path=entry.path, line=n, text=line))
        return GrepResult(matches=matches)

    def glob(self, pattern: str, path: str | None = None) -> GlobResult:
        """Regular files under ``path`` matching ``pattern`` (absolute paths, as the protocol requires)."""
        try:
            match = compile_grep_include_glob(pattern)
        except InvalidGlobPatternError as exc:
            return GlobResult(error=str(exc))
        root, files = self._files_under(path)
        found = [
            FileInfo(path=e.path, is_dir=False, size=e.size, modified_at=datetime.fromtimestamp(e.mtime).isoformat())
            for e in sorted(files, key=lambda e: e.path)
            if match(e.path[len(root.rstrip("/")) + 1 :])
        ]
        return GlobResult(matches=found)

    def upload_files(self, files: list[tuple[str, bytes]]) -> list[FileUploadResponse]:
        session = self.session()
        out = []
        for path, data in files:
            if not path.startswith("/"):
                out.append(FileUploadResponse(path=path, error="invalid_path"))
                continue
            try:
                session.fs.write_bytes(normalize(path), bytes(data), parents=True)
                out.append(FileUploadResponse(path=path, error=None))
            except OSError as exc:
                out.append(FileUploadResponse(path=path, error=_code(exc)))
        self._saved(session)
        return out

    def download_files(self, paths: list[str]) -> list[FileDownloadResponse]:
        fs = self.session().fs
        out = []
        for path in paths:
            if not path.startswith("/"):
                out.append(FileDownloadResponse(path=path, content=None, error="invalid_path"))
                continue
            try:
                out.append(FileDownloadResponse(path=path, content=fs.read_bytes(normalize(path)), error=None))
            except OSError as exc:
                out.append(FileDownloadResponse(path=path, content=None, error=_code(exc)))
        return out
