"""A session's workspace on the host: the folder the guest sees as ``/workspace`` (writable) plus its ``/tmp``.

The guest can write anything inside it, including symlinks whose targets point outside (the guest cannot
follow them, WASI resolves inside the preopen, but the host could). So every host-side access walks the path
one component at a time with ``O_NOFOLLOW`` relative to the folder's descriptor, accepts regular files only,
and caps sizes: a guest cannot make the host read or write outside the workspace, or block on a FIFO.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import weakref
from dataclasses import replace
from pathlib import Path

from langchain_wasm.runtime.nofollow import FILE_READ_FLAGS, open_dir, regular_files, remove_tree, walk
from langchain_wasm.runtime.workspace_quota import usage

from .results import PythonResult, ResultCaps

__all__ = ["GUEST_WORKSPACE", "Workspace", "WorkspaceError", "with_changed_files"]

GUEST_WORKSPACE = "/workspace"


class WorkspaceError(ValueError):
    """A path that is not a plain relative path inside the workspace, or a file that cannot be moved."""


def _parts(path: str | os.PathLike[str]) -> list[str]:
    text = os.fspath(path)
    if text.startswith(GUEST_WORKSPACE + "/"):
        text = text[len(GUEST_WORKSPACE) + 1 :]
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or text.startswith("/") or "\0" in text or any(p == ".." for p in parts):
        raise WorkspaceError(f"{text!r} is not a relative path inside the workspace")
    return parts


_TEMP_ROOT: list[str] = []


def _temp_root() -> str:
    """The folder ``tempfile.gettempdir()`` would pick, found the same way (``TMPDIR``, ``TEMP``, ``TMP``,
    then the usual places, then the working directory: the first we can create a folder in), without
    importing ``tempfile`` (it brings ``shutil``, ``bz2``, ``lzma`` and ``random``: ~5-7 ms of a cold start)."""
    if _TEMP_ROOT:
        return _TEMP_ROOT[0]
    candidates = [os.environ[name] for name in ("TMPDIR", "TEMP", "TMP") if os.environ.get(name)]
    candidates += ["/tmp", "/var/tmp", "/usr/tmp", os.getcwd()]
    for candidate in candidates:
        folder = os.path.abspath(candidate)
        probe = os.path.join(folder, f".lcw-probe-{os.urandom(6).hex()}")
        try:
            os.mkdir(probe, 0o700)
            os.rmdir(probe)
        except OSError:
            continue
        _TEMP_ROOT.append(folder)
        return folder
    import tempfile  # none of them works: let tempfile raise its own error

    return tempfile.gettempdir()


def private_folder(prefix: str, root: str | os.PathLike[str] | None = None) -> str:
    """Make a new folder ``root/prefix<random>`` with mode 0700 and return its absolute path, as
    ``tempfile.mkdtemp`` does (``root`` None: the temporary folder)."""
    parent = os.path.abspath(os.fspath(root)) if root is not None else _temp_root()
    for _ in range(100):
        path = os.path.join(parent, prefix + os.urandom(6).hex())
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no unused folder name in {parent}")


class Workspace:
    """A private host folder (``0700``) holding ``workspace/`` and ``tmp/``; removed by ``remove()``."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(private_folder("lcw-python-", root))
        self.path = self.root / "workspace"
        self.tmp = self.root / "tmp"
        self.path.mkdir(mode=0o700)
        self.tmp.mkdir(mode=0o700)
        #: a ``survey()`` taken after the last guest and host write (by the warm pool, off the run's path)
        self._surveyed: tuple[dict[str, tuple[int, int]], tuple[int, int]] | None = None
        # removed when dropped or at exit even if nobody calls remove() (a session that was never closed)
        self._finalizer = weakref.finalize(self, _remove_folder, str(self.root))

    # -- safe access ---------------------------------------------------------------------------------------
    def _open_dir(self, parts: list[str], *, create: bool) -> int:
        try:
            return open_dir(self.path, parts, create_mode=0o700 if create else None)
        except OSError as exc:
            raise WorkspaceError(f"{'/'.join(parts)!r} is not a folder in the workspace ({exc.strerror})") from exc

    def write(self, path: str | os.PathLike[str], data: bytes | str) -> str:
        """Write ``data`` to ``path`` (relative to the workspace); returns the guest path."""
        self._surveyed = None
        parts = _parts(path)
        payload = data.encode() if isinstance(data, str) else bytes(data)
        dfd = self._open_dir(parts[:-1], create=True)
        try:
            with contextlib.suppress(FileNotFoundError):
                if stat.S_ISLNK(os.stat(parts[-1], dir_fd=dfd, follow_symlinks=False).st_mode):
                    os.unlink(parts[-1], dir_fd=dfd)  # never write through a link the guest planted
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(parts[-1], flags, 0o600, dir_fd=dfd)
        except OSError as exc:
            raise WorkspaceError(f"cannot write {'/'.join(parts)!r}: {exc.strerror}") from exc
        finally:
            os.close(dfd)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        return f"{GUEST_WORKSPACE}/{'/'.join(parts)}"

    def read(self, path: str | os.PathLike[str], *, max_bytes: int = 64 * 1024 * 1024) -> bytes:
        """The bytes of regular file ``path``; links, folders and special files are refused."""
        parts = _parts(path)
        dfd = self._open_dir(parts[:-1], create=False)
        try:
            fd = os.open(parts[-1], FILE_READ_FLAGS, dir_fd=dfd)
        except OSError as exc:
            raise WorkspaceError(f"cannot read {'/'.join(parts)!r}: {exc.strerror}") from exc
        finally:
            os.close(dfd)
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise WorkspaceError(f"{'/'.join(parts)!r} is not a regular file")
            if info.st_size > max_bytes:
                raise WorkspaceError(f"{'/'.join(parts)!r} is {info.st_size} bytes, above the cap of {max_bytes}")
            return fh.read(max_bytes + 1)[:max_bytes]

    def files(self) -> dict[str, tuple[int, int]]:
        """Every regular file (not following links): relative path -> (size, mtime_ns)."""
        return {rel: (info.st_size, info.st_mtime_ns) for rel, info in regular_files(self.path)}

    # -- packing for snapshots -------------------------------------------------------------------------------
    def pack(self, max_bytes: int) -> bytes:
        """Regular files as ``index JSON + NUL + contents`` (raises ``WorkspaceError`` above ``max_bytes``)."""
        index, blobs, total = [], [], 0
        for rel, (size, _) in sorted(self.files().items()):
            total += size
            if total > max_bytes:
                raise WorkspaceError(f"the workspace holds more than {max_bytes} bytes; it cannot be snapshotted")
            data = self.read(rel, max_bytes=max_bytes)
            index.append([rel, len(data)])
            blobs.append(data)
        return json.dumps(index).encode() + b"\0" + b"".join(blobs)

    def unpack(self, packed: bytes, max_bytes: int) -> None:
        """Recreate files from ``pack()`` output (names and sizes are checked again)."""
        self._surveyed = None
        head, _, body = packed.partition(b"\0")
        try:
            index = json.loads(head)
        except ValueError as exc:
            raise WorkspaceError("the snapshot's workspace index is corrupt") from exc
        offset = 0
        for item in index:
            if not (
                isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], int)
            ):
                raise WorkspaceError("the snapshot's workspace index is corrupt")
            rel, size = item
            if size < 0 or offset + size > len(body) or offset + size > max_bytes:
                raise WorkspaceError("the snapshot's workspace does not match its index")
            self.write(rel, body[offset : offset + size])
            offset += size

    def survey(self) -> tuple[dict[str, tuple[int, int]], tuple[int, int]]:
        """``(files(), usage())`` from one walk of each folder (a run needs both before it starts)."""
        files: dict[str, tuple[int, int]] = {}
        total = entries = 0
        for prefix, listing in walk(self.path):
            entries += len(listing)
            for name, info in listing:
                if stat.S_ISREG(info.st_mode):
                    total += info.st_size
                    files[prefix + name] = (info.st_size, info.st_mtime_ns)
        tmp_bytes, tmp_entries = usage((self.tmp,))
        return files, (total + tmp_bytes, entries + tmp_entries)

    def remember_survey(self) -> None:
        """Take ``survey()`` now, for the next ``take_survey()`` (call when no guest can write here until then)."""
        self._surveyed = self.survey()

    def take_survey(self) -> tuple[dict[str, tuple[int, int]], tuple[int, int]]:
        """The remembered survey if nothing was written since, else a new one (the remembered one is used once)."""
        surveyed, self._surveyed = self._surveyed, None
        return surveyed if surveyed is not None else self.survey()

    def usage(self) -> tuple[int, int]:
        """(bytes in regular files, directory entries) under the workspace and its ``/tmp``, links not followed."""
        return usage((self.path, self.tmp))

    def remove(self) -> None:
        """Delete the folder and everything the guest left in it (any depth; links unlinked, not followed)."""
        self._finalizer()


def _remove_folder(path: str) -> None:
    """Best effort, as a finalizer must be: what cannot be removed is left (and the folder is private)."""
    try:  # a run that left nothing: three rmdirs (they remove only empty folders and never follow a link)
        for name in ("workspace", "tmp"):
            os.rmdir(os.path.join(path, name))
        os.rmdir(path)
        return
    except OSError:
        pass  # something is left: the walk below
    try:
        remove_tree(path)
    except OSError:
        import shutil  # only when our own walk could not remove something

        shutil.rmtree(path, ignore_errors=True)


def with_changed_files(
    result: PythonResult, workspace: Workspace, before: dict[str, tuple[int, int]], caps: ResultCaps
) -> PythonResult:
    """``result`` with ``files`` set to the workspace files the run created or changed (``before``: the
    ``Workspace.files()`` listing taken before it), within ``caps``; what was left out is said in ``notes``."""
    notes = list(result.notes)
    out: dict[str, bytes] = {}
    changed = sorted(k for k, v in workspace.files().items() if before.get(k) != v)
    for name in changed:
        if len(out) >= caps.max_files:
            notes.append(f"{len(changed) - len(out)} more changed file(s) not returned (limit {caps.max_files})")
            break
        try:
            out[name] = workspace.read(name, max_bytes=caps.max_file_bytes)
        except ValueError as exc:
            notes.append(f"file {name!r} not returned: {exc}")
    return replace(result, files=out, notes=tuple(notes)) if out or notes != list(result.notes) else result
