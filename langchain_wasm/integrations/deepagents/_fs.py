"""The sandbox's files as the host sees them: ``/workspace`` and ``/tmp`` of a session ``Workspace``.

Every access walks the path one component at a time from the mount's directory descriptor with
``O_NOFOLLOW`` (the same rule as ``langchain_wasm.python.workspace``): the guest can plant symlinks, FIFOs or
deep trees, and the host never follows a link, never blocks on a special file, and never leaves the two
folders. ``..`` is resolved lexically inside the virtual tree, so it cannot climb out of it either. Mode bits
are honoured as for an unprivileged user (the host may run as root; ``chmod 000`` still means unreadable).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from langchain_wasm.python.workspace import Workspace
from langchain_wasm.runtime.nofollow import FILE_READ_FLAGS, open_dir, remove_tree

__all__ = ["Entry", "SandboxFS", "normalize"]

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
MOUNTS = ("workspace", "tmp")


def _err(kind: type[OSError], code: int, path: str) -> OSError:
    return kind(code, os.strerror(code), path)


def normalize(path: str, cwd: str = "/workspace") -> str:
    """The absolute virtual path of ``path`` (relative to ``cwd``), ``..`` and ``.`` resolved lexically."""
    if "\0" in path:
        raise _err(FileNotFoundError, errno.EINVAL, path)
    full = path if path.startswith("/") else f"{cwd.rstrip('/')}/{path}"
    out: list[str] = []
    for part in full.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return "/" + "/".join(out)


@dataclass(frozen=True, slots=True)
class Entry:
    """One directory entry (``lstat`` data: links are reported, never followed)."""

    path: str
    name: str
    is_dir: bool
    is_file: bool
    is_link: bool
    size: int
    mtime: float
    mode: int


class SandboxFS:
    """Safe host-side file operations on a session's ``/workspace`` and ``/tmp``.

    Args:
        workspace: the session's folders.
        max_file_bytes: the largest file one write may create (the host's disk is not a quota).
        write_quota: most bytes the shell's commands may write during one ``execute`` (``reset_quota``).
    """

    def __init__(
        self, workspace: Workspace, *, max_file_bytes: int = 256 * 1024 * 1024, write_quota: int = 1024 * 1024 * 1024
    ) -> None:
        self.workspace = workspace
        self.max_file_bytes = max_file_bytes
        self.write_quota = write_quota
        self.written = 0
        self._roots = {"workspace": str(workspace.path), "tmp": str(workspace.tmp)}

    # -- walking -------------------------------------------------------------------------------------------
    def _split(self, vpath: str) -> tuple[str | None, list[str]]:
        parts = [p for p in normalize(vpath).split("/") if p]
        if not parts:
            return None, []
        if parts[0] not in self._roots:
            raise _err(FileNotFoundError, errno.ENOENT, vpath)
        return parts[0], parts[1:]

    def _open_dir(self, mount: str, parts: list[str], vpath: str, *, create: bool = False) -> int:
        try:
            return open_dir(self._roots[mount], parts, create_mode=0o755 if create else None)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise _err(NotADirectoryError, errno.ENOTDIR, vpath) from None
            if exc.errno == errno.ENOENT:
                raise _err(FileNotFoundError, errno.ENOENT, vpath) from None
            raise _err(PermissionError, exc.errno or errno.EACCES, vpath) from None

    @contextlib.contextmanager
    def _parent(self, vpath: str, *, create: bool = False) -> Iterator[tuple[int, str]]:
        """The descriptor of ``vpath``'s folder and its last component (``vpath`` may not be a mount root)."""
        mount, parts = self._split(vpath)
        if mount is None or not parts:
            raise _err(PermissionError, errno.EPERM, vpath)
        fd = self._open_dir(mount, parts[:-1], vpath, create=create)
        try:
            yield fd, parts[-1]
        finally:
            os.close(fd)

    def lstat(self, vpath: str) -> os.stat_result | None:
        """``lstat`` of ``vpath`` (``None`` for the virtual root), raising ``FileNotFoundError`` if missing."""
        mount, parts = self._split(vpath)
        if mount is None:
            return None
        if not parts:
            return os.stat(self._roots[mount], follow_symlinks=False)
        with self._parent(vpath) as (fd, name):
            try:
                return os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                raise _err(FileNotFoundError, errno.ENOENT, vpath) from None

    def exists(self, vpath: str) -> bool:
        try:
            self.lstat(vpath)
        except OSError:
            return False
        return True

    def is_dir(self, vpath: str) -> bool:
        try:
            info = self.lstat(vpath)
        except OSError:
            return False
        return info is None or stat.S_ISDIR(info.st_mode)

    # -- files ---------------------------------------------------------------------------------------------
    def read_bytes(self, vpath: str, *, max_bytes: int | None = None) -> bytes:
        """The bytes of regular file ``vpath`` (links, folders, FIFOs refused; at most ``max_bytes``)."""
        cap = self.max_file_bytes if max_bytes is None else max_bytes
        with self._parent(vpath) as (dfd, name):
            try:
                fd = os.open(name, FILE_READ_FLAGS, dir_fd=dfd)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise _err(PermissionError, errno.ELOOP, vpath) from None
                if exc.errno == errno.ENOENT:
                    raise _err(FileNotFoundError, errno.ENOENT, vpath) from None
                raise _err(PermissionError, exc.errno or errno.EACCES, vpath) from None
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise _err(IsADirectoryError, errno.EISDIR, vpath)
            if not stat.S_ISREG(info.st_mode):
                raise _err(PermissionError, errno.EACCES, vpath)
            if not info.st_mode & stat.S_IRUSR:
                raise _err(PermissionError, errno.EACCES, vpath)
            if info.st_size > cap:
                raise _err(OSError, errno.EFBIG, vpath)
            return fh.read(cap + 1)[:cap]

    def write_bytes(self, vpath: str, data: bytes, *, append: bool = False, parents: bool = False) -> None:
        """Create or replace (or append to) regular file ``vpath``; a planted link is replaced, not followed."""
        with self._parent(vpath, create=parents) as (dfd, name):
            try:
                info = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            except FileNotFoundError:
                info = None
            if info is not None and stat.S_ISDIR(info.st_mode):
                raise _err(IsADirectoryError, errno.EISDIR, vpath)
            if info is not None and not stat.S_ISREG(info.st_mode):
                os.unlink(name, dir_fd=dfd)  # a link or special file the guest planted: replace it
                info = None
            if info is not None and not info.st_mode & stat.S_IWUSR:
                raise _err(PermissionError, errno.EACCES, vpath)
            size = (info.st_size if append and info is not None else 0) + len(data)
            if size > self.max_file_bytes:
                raise _err(OSError, errno.EFBIG, vpath)
            if self.written + len(data) > self.write_quota:
                raise _err(OSError, errno.EDQUOT, vpath)
            self.written += len(data)
            flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC
            flags |= os.O_APPEND if append else os.O_TRUNC
            try:
                fd = os.open(name, flags, 0o644, dir_fd=dfd)
            except OSError as exc:
                raise _err(PermissionError, exc.errno or errno.EACCES, vpath) from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)

    def touch(self, vpath: str) -> None:
        if self.exists(vpath):
            with self._parent(vpath) as (dfd, name):
                os.utime(name, dir_fd=dfd, follow_symlinks=False)
        else:
            self.write_bytes(vpath, b"")

    # -- folders -------------------------------------------------------------------------------------------
    def listdir(self, vpath: str) -> list[Entry]:
        """Entries of folder ``vpath``, sorted by name."""
        mount, parts = self._split(vpath)
        base = normalize(vpath).rstrip("/")
        if mount is None:
            return [self._entry(f"/{m}", m, os.stat(self._roots[m])) for m in sorted(MOUNTS)]
        info = self.lstat(vpath)
        if info is not None and not stat.S_ISDIR(info.st_mode):
            raise _err(NotADirectoryError, errno.ENOTDIR, vpath)
        fd = self._open_dir(mount, parts, vpath)
        try:
            out = []
            with os.scandir(fd) as it:
                for item in it:
                    with contextlib.suppress(OSError):
                        out.append(self._entry(f"{base}/{item.name}", item.name, item.stat(follow_symlinks=False)))
        finally:
            os.close(fd)
        return sorted(out, key=lambda e: e.name)

    @staticmethod
    def _entry(path: str, name: str, info: os.stat_result) -> Entry:
        mode = info.st_mode
        return Entry(
            path, name, stat.S_ISDIR(mode), stat.S_ISREG(mode), stat.S_ISLNK(mode), info.st_size, info.st_mtime, mode
        )

    def walk(self, vpath: str, *, max_entries: int = 100_000) -> Iterator[Entry]:
        """Every entry under folder ``vpath``, depth first; links are yielded, never entered."""
        stack, seen = [normalize(vpath)], 0
        while stack:
            folder = stack.pop()
            try:
                entries = self.listdir(folder)
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if seen > max_entries:
                    return
                yield entry
                if entry.is_dir:
                    stack.append(entry.path)

    def mkdir(self, vpath: str, *, parents: bool = False) -> None:
        if parents:
            mount, parts = self._split(vpath)
            if mount is not None:
                os.close(self._open_dir(mount, parts, vpath, create=True))
            return
        with self._parent(vpath) as (dfd, name):
            try:
                os.mkdir(name, 0o755, dir_fd=dfd)
            except FileExistsError:
                raise _err(FileExistsError, errno.EEXIST, vpath) from None

    def remove(self, vpath: str, *, recursive: bool = False) -> None:
        """Delete file or link ``vpath``; a folder only with ``recursive`` (links inside are unlinked, not entered)."""
        with self._parent(vpath) as (dfd, name):
            try:
                info = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            except FileNotFoundError:
                raise _err(FileNotFoundError, errno.ENOENT, vpath) from None
            if not stat.S_ISDIR(info.st_mode):
                os.unlink(name, dir_fd=dfd)
                return
            if not recursive:
                raise _err(IsADirectoryError, errno.EISDIR, vpath)
            remove_tree(name, dir_fd=dfd)

    def rename(self, src: str, dst: str) -> None:
        with self._parent(src) as (sfd, sname), self._parent(dst) as (dfd, dname):
            try:
                os.rename(sname, dname, src_dir_fd=sfd, dst_dir_fd=dfd)
            except FileNotFoundError:
                raise _err(FileNotFoundError, errno.ENOENT, src) from None

    def chmod(self, vpath: str, mode: int) -> None:
        """Set permission bits (the file is opened without following links, then ``fchmod``-ed)."""
        info = self.lstat(vpath)
        if info is None or stat.S_ISLNK(info.st_mode):
            raise _err(PermissionError, errno.EPERM, vpath)
        mount, parts = self._split(vpath)
        assert mount is not None
        if stat.S_ISDIR(info.st_mode):
            fd = self._open_dir(mount, parts, vpath)
        else:
            with self._parent(vpath) as (dfd, name):
                fd = os.open(name, FILE_READ_FLAGS, dir_fd=dfd)
        try:
            os.fchmod(fd, mode & 0o7777)
        finally:
            os.close(fd)
