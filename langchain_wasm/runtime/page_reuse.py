"""Kernel calls for reusing an image-mapped memory's pages (Linux 6.7+): find the pages a guest wrote, move a
mapping with its pages to another address; and the typed libc that memory images use for all their calls.

A fresh instance mapped from a ``MemoryImage`` pays a copy-on-write fault for every page its first turn writes
(~250 for a ``print`` in the Python interpreter, ~2-3 us each on this VM: most of a first turn). The pages an
ended instance wrote are already its own: ``MemoryImage.reclaim`` copies the image's bytes back over exactly
those pages and moves the mapping aside, and the next instance gets it moved in instead of a new mapping,
faults already taken. Finding the written pages is one ``PAGEMAP_SCAN`` ioctl: in a private mapping of the
image, a page the guest wrote is an anonymous page, every other one is the image's own file page or not
mapped yet. Moving is ``mremap``, which moves page tables without touching the pages.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any

__all__ = ["MAP_FAILED", "libc", "move", "move_aside", "written_ranges"]

_PAGE_IS_FILE = 1 << 2
_PAGE_IS_PRESENT = 1 << 3
_PAGE_IS_SWAPPED = 1 << 4
_PAGE_IS_PFNZERO = 1 << 5


class _ScanArg(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_uint64)
        for name in (
            "size",
            "flags",
            "start",
            "end",
            "walk_end",
            "vec",
            "vec_len",
            "max_pages",
            "category_inverted",
            "category_mask",
            "category_anyof_mask",
            "return_mask",
        )
    ]


class _Region(ctypes.Structure):
    _fields_ = [("start", ctypes.c_uint64), ("end", ctypes.c_uint64), ("categories", ctypes.c_uint64)]


_PAGEMAP_SCAN = (3 << 30) | (ctypes.sizeof(_ScanArg) << 16) | (ord("f") << 8) | 16  # _IOWR('f', 16, pm_scan_arg)
_MREMAP_MAYMOVE, _MREMAP_FIXED, _MREMAP_DONTUNMAP = 1, 2, 4
MAP_FAILED = ctypes.c_void_p(-1).value
_VEC = 256
_libc: Any = None


def libc() -> Any:
    """libc with the calls of memory images typed (``mmap``, ``munmap``, ``fallocate``, ``ioctl``, ``mremap``;
    loaded once)."""
    global _libc
    if _libc is None:
        lib = ctypes.CDLL(None, use_errno=True)
        lib.mmap.restype = ctypes.c_void_p
        lib.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
        lib.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        lib.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
        lib.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
        lib.mremap.restype = ctypes.c_void_p
        lib.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p]
        _libc = lib
    return _libc


def written_ranges(base: int, size: int) -> list[tuple[int, int]] | None:
    """The ``(start, end)`` address ranges in ``[base, base + size)`` that hold pages of this process's own, not
    the mapped file's (written since the mapping: present or swapped out, the shared zero page excluded), or
    ``None`` if the kernel cannot tell (no ``PAGEMAP_SCAN`` before Linux 6.7)."""
    try:
        fd = os.open("/proc/self/pagemap", os.O_RDONLY | os.O_CLOEXEC)  # per call: /proc/self is fixed at open
    except OSError:
        return None
    try:
        vec = (_Region * _VEC)()
        arg = _ScanArg(size=ctypes.sizeof(_ScanArg), start=base, end=base + size, vec=ctypes.addressof(vec))
        arg.vec_len = _VEC
        arg.category_inverted = arg.category_mask = _PAGE_IS_FILE | _PAGE_IS_PFNZERO  # neither a file page nor zero
        arg.category_anyof_mask = _PAGE_IS_PRESENT | _PAGE_IS_SWAPPED  # and holding data
        arg.return_mask = _PAGE_IS_PRESENT | _PAGE_IS_SWAPPED
        out: list[tuple[int, int]] = []
        ioctl = libc().ioctl
        words = memoryview(vec).cast("B").cast("Q")  # start, end, categories per region
        while True:
            got = ioctl(fd, _PAGEMAP_SCAN, ctypes.byref(arg))
            if got < 0:
                return None
            for i in range(0, 3 * got, 3):
                start, end = words[i], words[i + 1]
                if out and out[-1][1] == start:  # split only by the categories returned
                    out[-1] = (out[-1][0], end)
                else:
                    out.append((start, end))
            if arg.walk_end >= base + size:
                return out
            if arg.walk_end <= arg.start:  # no progress: do not trust the answer
                return None
            arg.start = arg.walk_end  # the vector filled up: go on from where the walk stopped
    finally:
        os.close(fd)


def move_aside(base: int, size: int) -> int | None:
    """Move the mapping at ``[base, base + size)`` with its pages to a new address chosen by the kernel; the old
    range stays mapped, as if freshly mapped (``MREMAP_DONTUNMAP``), so its owner unmaps it as before and no
    other mapping can land in a hole meanwhile. The new address, or ``None`` if the kernel refused."""
    got = libc().mremap(base, size, size, _MREMAP_MAYMOVE | _MREMAP_DONTUNMAP, None)
    return None if got in (None, MAP_FAILED) else int(got)


def move(source: int, size: int, target: int) -> None:
    """Move the mapping at ``source`` onto ``[target, target + size)``, replacing what is mapped there. Raises
    ``OSError`` if the kernel refuses (``source`` is then still mapped where it was)."""
    got = libc().mremap(source, size, size, _MREMAP_MAYMOVE | _MREMAP_FIXED, target)
    if got != target:
        err = ctypes.get_errno()
        raise OSError(err, f"moving reused pages failed: {os.strerror(err)}")
