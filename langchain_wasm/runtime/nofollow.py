"""Host-side access to folders a guest can write: walk paths without following links, never recurse.

A guest can plant symlinks (WASI resolves them inside the preopen, the host would not), FIFOs, and trees far
deeper than Python's recursion limit. These helpers open one path component at a time with ``O_NOFOLLOW``
relative to a directory descriptor and walk trees with explicit stacks, holding one descriptor at a time, so
none of that can make the host leave the folder, block, run out of descriptors or raise ``RecursionError``.
``Workspace`` and the Deep Agents backend's ``SandboxFS`` both build on them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Generator, Iterator, Sequence

__all__ = ["DIR_FLAGS", "FILE_READ_FLAGS", "open_dir", "regular_files", "remove_tree", "walk"]

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
#: Open a folder, refusing a link (``ELOOP``) or anything that is not a folder (``ENOTDIR``).
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
#: Open a file for reading, refusing a link and never blocking on a FIFO.
FILE_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC


def open_dir(root: str | os.PathLike[str], parts: Sequence[str], *, create_mode: int | None = None) -> int:
    """A descriptor of folder ``root/parts...``, each component opened with ``O_NOFOLLOW`` from the last.

    With ``create_mode``, missing folders are created with that mode. Raises the ``OSError`` of the component
    that is missing, a link or not a folder (the caller words it); the caller closes the descriptor.
    """
    fd = os.open(root, DIR_FLAGS)
    try:
        for part in parts:
            if create_mode is not None:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, create_mode, dir_fd=fd)
            nxt = os.open(part, DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


def walk(
    root: str | os.PathLike[str], *, dir_fd: int | None = None
) -> Iterator[tuple[str, list[tuple[str, os.stat_result]]]]:
    """Every folder under ``root`` (itself first) as ``(relative prefix, [(name, lstat), ...])``, depth first.

    Links are reported, never entered; folders that cannot be opened or listed are passed over; a tree changed
    underneath ends the walk early. Any depth: names are never joined into one long host path.
    """
    try:
        fd = os.open(root, DIR_FLAGS, dir_fd=dir_fd)
    except OSError:
        return
    with contextlib.suppress(OSError):
        yield from _walk(fd, remove=False)


def regular_files(root: str | os.PathLike[str]) -> Iterator[tuple[str, os.stat_result]]:
    """Every regular file under ``root`` as ``(relative path, lstat)``, links and special files skipped."""
    for prefix, entries in walk(root):
        for name, info in entries:
            if stat.S_ISREG(info.st_mode):
                yield prefix + name, info


def remove_tree(name: str | os.PathLike[str], *, dir_fd: int | None = None) -> None:
    """Delete folder ``name`` (relative to ``dir_fd`` if given) and everything under it, depth first.

    Links inside are unlinked, never entered; ``name`` itself must be a folder, not a link (``OSError``
    otherwise, as for anything that cannot be removed).
    """
    for _ in _walk(os.open(name, DIR_FLAGS, dir_fd=dir_fd), remove=True):
        pass
    os.rmdir(name, dir_fd=dir_fd)


def _ident(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


def _listing(fd: int) -> list[tuple[str, os.stat_result]]:
    out = []
    with os.scandir(fd) as it:
        for entry in it:
            with contextlib.suppress(OSError):
                out.append((entry.name, entry.stat(follow_symlinks=False)))
    return out


def _walk(fd: int, *, remove: bool) -> Iterator[tuple[str, list[tuple[str, os.stat_result]]]]:
    """Depth first from folder ``fd`` (closed at the end), holding one descriptor: a child is opened from its
    parent, and the way back up is ``..``, checked to be the folder it came from. With ``remove``, each
    folder's non-folder entries are unlinked once it has been yielded, and each folder removed after its
    subfolders (failures raise); without, folders that cannot be opened are passed over."""
    # one row per folder entered: (its parent's identity, the parent's subfolders left, the parent's prefix,
    # its name in the parent)
    above: list[tuple[tuple[int, int], list[str], str, str]] = []
    prefix = ""
    try:
        todo = yield from _visit(fd, prefix, remove)
        while todo or above:
            if todo:
                child = todo.pop()
                try:
                    nxt = os.open(child, DIR_FLAGS, dir_fd=fd)
                except OSError:
                    if remove:
                        raise
                    continue
                above.append((_ident(fd), todo, prefix, child))
                os.close(fd)
                fd, prefix = nxt, f"{prefix}{child}/"
                todo = yield from _visit(fd, prefix, remove)
                continue
            ident, todo, prefix, child = above.pop()
            parent = os.open("..", DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            if _ident(fd) != ident:
                raise OSError(errno.ESTALE, "the tree changed while it was being walked")
            if remove:
                os.rmdir(child, dir_fd=fd)
    finally:
        os.close(fd)


def _visit(
    fd: int, prefix: str, remove: bool
) -> Generator[tuple[str, list[tuple[str, os.stat_result]]], None, list[str]]:
    try:
        entries = _listing(fd)
    except OSError:
        if remove:
            raise
        entries = []
    yield prefix, entries
    folders = []
    for name, info in entries:
        if stat.S_ISDIR(info.st_mode):
            folders.append(name)
        elif remove:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name, dir_fd=fd)
    return folders
