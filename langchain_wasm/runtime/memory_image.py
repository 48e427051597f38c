"""A linear memory's contents held once per process and mapped copy-on-write into new instances (Linux).

Starting an interpreter from a template used to copy the template's pages into each fresh instance: ~345 page
writes, each a copy-on-write fault, ~1 ms here (and tens of ms for a numpy/pandas template). A
``MemoryImage`` holds the whole memory (a fresh instance with the template written in) in a sealed ``memfd``:
``map_over`` then replaces an instance's accessible memory with a private mapping of it, one ``mmap`` of
~25 us. The instance reads the image's pages from the page cache and gets its own copy of a page only when
it writes it, as wasmtime does for a module's own data segments.

Why it is safe:

- the mapping is ``MAP_PRIVATE``: a guest's writes land in its own pages; the image and every other instance
  never see them;
- the ``memfd`` is sealed (no write, grow, shrink or further seals) before any instance maps it, so nothing
  in this process can change the image afterwards either, and it is close-on-exec;
- the image is built only from our own code's memory (a fresh instance plus our template), never from a
  memory that ran user code;
- it covers exactly the memory's accessible bytes at the moment of the mapping, taken under the instance's
  lock, between calls; growth beyond it is wasmtime's own zeroed pages, and the memory cap is wasmtime's.

``MemoryImage.build`` returns ``None`` where this cannot work (not Linux, no ``memfd``, no sealing); callers
then copy the pages as before.

Reuse (``reclaim``, Linux 6.7+, ``page_reuse.py``): when an instance mapped from the image ends, the pages it
wrote get the image's bytes back (read from the sealed ``memfd``) and the mapping is moved aside; the next
``map_over`` moves it in instead of mapping anew, so its first turn takes no copy-on-write faults for the pages
a turn writes. What the next instance sees is exactly the image: every page of the range is either the image's
own file page, not mapped yet (read from the image on first touch), or one of ours with the image's bytes
copied over it. At most ``MAX_SPARES`` such mappings are kept; one with more than ``RECLAIM_BYTES`` written is
not.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import os
import sys
import threading

from . import page_reuse

__all__ = ["MAX_SPARES", "RECLAIM_BYTES", "MemoryImage"]

#: Reclaimed mappings kept per image (each holds the pages its instance wrote: ~1 MiB after a small turn).
MAX_SPARES = 2
#: Past this many written bytes an ended instance's pages are dropped instead (copying them back is cheaper
#: than the faults it saves, ~0.3 against ~2.5 us a page, but the pages stay resident while kept).
RECLAIM_BYTES = 16 << 20

_MAP_FIXED = 0x10  # the same on every Linux architecture
_PAGE = mmap.PAGESIZE
_CHUNK = 64 * 1024
_BLOCK = 1 << 20
_PUNCH_HOLE = 0x03  # FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE


def _punch_zeros(fd: int, size: int) -> None:
    """Free the 64 KiB chunks of the file that hold only zeros (best effort: a kernel without hole punching
    on memfds keeps them as pages of zeros)."""
    fallocate = page_reuse.libc().fallocate
    zero = bytes(_CHUNK)
    block = bytearray(_BLOCK)
    offset, hole = 0, -1  # hole: where the current run of zero chunks started
    while offset < size:
        got = os.preadv(fd, [block], offset)
        if got <= 0:
            break
        for start in range(0, got - _CHUNK + 1, _CHUNK):  # startswith: a memcmp, no copy
            if block.startswith(zero, start):
                hole = offset + start if hole < 0 else hole
            elif hole >= 0:
                if fallocate(fd, _PUNCH_HOLE, hole, offset + start - hole) != 0:
                    return
                hole = -1
        offset += got
    if hole >= 0:
        fallocate(fd, _PUNCH_HOLE, hole, offset - hole)


def supported() -> bool:
    """Whether images can be made here (Linux with ``memfd_create`` and file seals)."""
    import fcntl

    return sys.platform == "linux" and hasattr(os, "memfd_create") and hasattr(fcntl, "F_ADD_SEALS")


class MemoryImage:
    """The sealed, read-only contents of a linear memory of ``size`` bytes (``fd``: its ``memfd``)."""

    __slots__ = ("__weakref__", "_lock", "_spares", "_view", "fd", "reused", "size")

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size
        self._lock = threading.Lock()
        self._spares: list[int] = []  # addresses of reclaimed mappings of ``size`` bytes, reset to the image
        self._view = 0  # a read-only shared mapping of the image (its pages, to copy back), made by reclaim
        self.reused = 0  # map_over calls that moved a reclaimed mapping in

    @classmethod
    def build(cls, base: int, size: int) -> MemoryImage | None:
        """An image of the ``size`` bytes at host address ``base`` (a memory nobody writes meanwhile), or
        ``None`` if images are not supported here or the ``memfd`` cannot be made.

        Measured ~50 ms for a 40 MiB interpreter, nearly all without the GIL: one ``pwrite`` of the whole
        memory (reading a never-touched page of it is a page fault, ~4 us each on this VM), then the runs of
        zero pages are punched out again, so they take no memory."""
        if size <= 0 or size % _PAGE or base % _PAGE or not supported():
            return None
        import fcntl

        try:
            fd = os.memfd_create("langchain-wasm-image", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        except OSError:
            return None
        try:
            os.ftruncate(fd, size)
            view = memoryview((ctypes.c_char * size).from_address(base)).cast("B")
            done = 0
            while done < size:
                done += os.pwrite(fd, view[done:], done)
            _punch_zeros(fd, size)
            seals = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
        except OSError:
            os.close(fd)
            return None
        return cls(fd, size)

    def map_over(self, base: int, size: int) -> None:
        """Replace the ``size`` accessible bytes at ``base`` (an instance's whole memory, exactly this image's
        size) with a private copy-on-write mapping of the image. Raises ``OSError`` if the kernel refuses;
        the memory is then in an unknown state and its instance must be discarded."""
        if size != self.size or base % _PAGE:
            raise ValueError(f"an image of {self.size} bytes cannot cover a memory of {size} bytes at {base:#x}")
        with self._lock:
            spare = self._spares.pop() if self._spares else None
        if spare is not None:
            try:
                page_reuse.move(spare, size, base)
                self.reused += 1
                return
            except OSError:
                _unmap(spare, size)  # a fresh mapping below instead
        flags = mmap.MAP_PRIVATE | _MAP_FIXED
        got = page_reuse.libc().mmap(base, size, mmap.PROT_READ | mmap.PROT_WRITE, flags, self.fd, 0)
        if got != base:
            err = ctypes.get_errno()
            raise OSError(err, f"mapping the memory image failed: {os.strerror(err)}")

    def reclaim(self, base: int, size: int) -> bool:
        """Keep the pages of an ended instance's memory, ``[base, base + size)`` as ``map_over`` left it plus what
        the guest wrote, for the next ``map_over``: the written pages get the image's bytes back and the mapping
        is moved aside (the range stays mapped for its owner to free). Call only when no guest can run in it
        again. ``False`` (nothing changed but possibly some pages rewritten with the image's bytes) if the kernel
        cannot do it, too much was written, or enough are kept already."""
        if size != self.size or self.fd < 0:
            return False
        with self._lock:
            if len(self._spares) >= MAX_SPARES:
                return False
        ranges = page_reuse.written_ranges(base, size)
        if ranges is None or sum(end - start for start, end in ranges) > RECLAIM_BYTES:
            return False
        with self._lock:  # close() waits: the view stays mapped while we copy from it
            view = self._view or self._map_view()
            if not view or len(self._spares) >= MAX_SPARES:
                return False
            memmove = ctypes.memmove
            for start, end in ranges:  # the pages it wrote, so the image's pages it copied from: resident
                memmove(start, view + (start - base), end - start)
            moved = page_reuse.move_aside(base, size)
            if moved is None:
                return False
            self._spares.append(moved)
            return True

    def _map_view(self) -> int:
        """Map the read-only view of the image (under ``_lock``); 0 if closed or refused."""
        if self.fd >= 0:
            got = page_reuse.libc().mmap(None, self.size, mmap.PROT_READ, mmap.MAP_SHARED, self.fd, 0)
            self._view = 0 if got in (None, page_reuse.MAP_FAILED) else int(got)
        return self._view

    def close(self) -> None:
        """Close the ``memfd`` and free the kept mappings (instances mapped from it keep their mappings)."""
        with self._lock:
            spares, self._spares = self._spares, []
            view, self._view = self._view, 0
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1
        for spare in spares + ([view] if view else []):
            _unmap(spare, self.size)


def _unmap(address: int, size: int) -> None:
    page_reuse.libc().munmap(address, size)
