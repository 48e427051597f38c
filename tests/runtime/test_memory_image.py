"""``MemoryImage`` (runtime/memory_image.py) with a small WAT guest: an image maps copy-on-write into fresh
instances, a guest's writes never reach the image or another instance, the memfd is sealed and private, growth
and the memory cap still hold, and a refused mapping ends the instance instead of leaving it half-mapped."""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import mmap
import os

import pytest
import wasmtime

from langchain_wasm import Capabilities, Limits, WasmEngine
from langchain_wasm.errors import WasmCallError, WasmMemoryLimitError
from langchain_wasm.runtime import memory_image, page_reuse
from langchain_wasm.runtime.kept import KeptInstance
from langchain_wasm.runtime.memory_image import MemoryImage
from langchain_wasm.runtime.signatures import FuncSignature

pytestmark = pytest.mark.skipif(not memory_image.supported(), reason="memory images need Linux memfds")

PAGE = 65536
GUEST = """(module
  (memory (export "memory") 4)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)"""
SIGS = {
    "load": FuncSignature(("i32",), ("i32",)),
    "store": FuncSignature(("i32", "i32"), ()),
    "grow": FuncSignature(("i32",), ("i32",)),
}
#: (offset, value) pairs spread over the pages, the last one in the last page of the image
PATTERN = [(0, 0x11111111), (4096, 0x22222222), (PAGE + 8, 0x33333333), (5 * PAGE - 4, 0x44444444)]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return WasmEngine(cache_dir=tmp_path_factory.mktemp("icache"))


@pytest.fixture(scope="module")
def module(engine):
    return wasmtime.Module(engine.engine, GUEST)


def fresh(engine, module, memory_bytes=64 * 1024 * 1024):
    return KeptInstance(
        engine,
        module,
        name="imaged",
        imports=[],
        signatures=SIGS,
        limits=Limits(timeout_s=5, memory_bytes=memory_bytes),
        capabilities=Capabilities(),
    )


def load(k, offset):
    return k.call("load", offset, limits=Limits(timeout_s=5)).value & 0xFFFFFFFF


def store(k, offset, value):
    k.call("store", offset, value - (1 << 32) if value >= 1 << 31 else value, limits=Limits(timeout_s=5))


@pytest.fixture
def image(engine, module):
    """An image of a 5-page memory holding ``PATTERN`` (grown by one page, as a template grows memory)."""
    with fresh(engine, module) as source:
        source.write_memory(b"\0", 5 * PAGE - 1)
        for offset, value in PATTERN:
            store(source, offset, value)
        made = source.image_of_memory()
    assert made is not None
    yield made
    made.close()


def contents(img: MemoryImage) -> str:
    return hashlib.sha256(os.pread(img.fd, img.size, 0)).hexdigest()


def test_an_image_maps_into_fresh_instances_and_their_writes_stay_private(engine, module, image):
    before = contents(image)
    with fresh(engine, module) as first, fresh(engine, module) as second:
        first.map_image(image)
        assert first.memory_size() == image.size
        assert [load(first, o) for o, _ in PATTERN] == [v for _, v in PATTERN]
        for offset, _ in PATTERN:  # the first instance overwrites every page the image holds
            store(first, offset, 0x0BADF00D)
        first.write_memory(b"host-written", 2 * PAGE)
        second.map_image(image)
        assert [load(second, o) for o, _ in PATTERN] == [v for _, v in PATTERN]
        assert second.read_memory()[2 * PAGE : 2 * PAGE + 12] == bytes(12)
        assert [load(first, o) for o, _ in PATTERN] == [0x0BADF00D] * len(PATTERN)
    assert contents(image) == before  # nothing any instance did reached the image


def test_the_image_is_sealed_private_and_sparse(image):
    seals = fcntl.fcntl(image.fd, fcntl.F_GET_SEALS)
    for seal in (fcntl.F_SEAL_WRITE, fcntl.F_SEAL_GROW, fcntl.F_SEAL_SHRINK, fcntl.F_SEAL_SEAL):
        assert seals & seal
    with pytest.raises(PermissionError):
        os.pwrite(image.fd, b"x", 0)
    with pytest.raises(PermissionError):
        os.ftruncate(image.fd, image.size * 2)
    with pytest.raises(PermissionError):  # not even a shared writable mapping of it
        mmap.mmap(image.fd, image.size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    assert fcntl.fcntl(image.fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC  # never inherited by a child process
    assert not os.get_inheritable(image.fd)
    # five 64 KiB pages with a few words each: the zero chunks were punched out (holes take no memory)
    assert os.fstat(image.fd).st_blocks * 512 < image.size


def test_a_mapped_memory_still_grows_and_keeps_its_cap(engine, module, image):
    with fresh(engine, module, memory_bytes=6 * PAGE) as k:
        k.map_image(image)
        assert k.call("grow", 1, limits=Limits(timeout_s=5)).value == 5  # 5 pages before, 6 now
        assert load(k, 5 * PAGE) == 0  # wasmtime's own zeroed page past the image
        store(k, 6 * PAGE - 4, 7)
        assert load(k, 6 * PAGE - 4) == 7
        assert load(k, PATTERN[-1][0]) == PATTERN[-1][1]
        assert k.call("grow", 1, limits=Limits(timeout_s=5)).value == -1  # the cap holds
    with fresh(engine, module, memory_bytes=4 * PAGE) as small, pytest.raises(WasmMemoryLimitError):
        small.map_image(image)  # the image is larger than this instance may grow


def test_a_refused_mapping_ends_the_instance(engine, module, image, monkeypatch):
    def refuse(self, base, size):
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(MemoryImage, "map_over", refuse)
    k = fresh(engine, module)
    with pytest.raises(OSError, match="cannot start from the memory image"):
        k.map_image(image)
    assert k.ended is not None
    with pytest.raises(WasmCallError, match="has ended"):
        load(k, 0)
    k.close()


def test_images_refuse_what_they_cannot_cover(image):
    buf = mmap.mmap(-1, 2 * mmap.PAGESIZE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    try:
        assert MemoryImage.build(base, 0) is None
        assert MemoryImage.build(base + 1, mmap.PAGESIZE) is None
        assert MemoryImage.build(base, mmap.PAGESIZE + 1) is None
        with pytest.raises(ValueError, match="cannot cover"):
            image.map_over(base, 2 * mmap.PAGESIZE)  # another size: never mapped
        with pytest.raises(ValueError, match="cannot cover"):
            image.map_over(base + 1, image.size)
    finally:
        del base
        buf.close()


# -- reuse of an ended instance's pages (MemoryImage.reclaim, runtime/page_reuse.py) -------------------------

reuse = pytest.mark.skipif(
    not memory_image.supported() or page_reuse.written_ranges(0, 0) is None,
    reason="reusing pages needs Linux 6.7+ (PAGEMAP_SCAN)",
)
SMALL = mmap.PAGESIZE


def image_bytes(img: MemoryImage) -> bytes:
    return os.pread(img.fd, img.size, 0)


def scribble(k, size):
    """Hostile writes over every small page of the image's range and past it (growth)."""
    k.write_memory(os.urandom(size), 0)
    k.write_memory(b"past the image" * 100, size + 3)


@reuse
def test_an_ended_instances_pages_come_back_exactly_as_the_image(engine, module, image):
    first = fresh(engine, module)
    first.map_image(image)
    scribble(first, image.size)
    first.close()
    assert len(image._spares) == 1  # its mapping was kept, reset
    with fresh(engine, module) as second:
        second.map_image(image)
        assert image.reused == 1
        assert not image._spares
        assert second.memory_size() == image.size  # the growth stayed with the first instance
        assert second.read_memory() == image_bytes(image)  # every byte the first wrote is the image's again
        assert [load(second, o) for o, _ in PATTERN] == [v for _, v in PATTERN]
        assert second.call("grow", 1, limits=Limits(timeout_s=5)).value == 5
        assert second.read_memory()[image.size :] == bytes(PAGE)  # wasmtime's own zeroed page past the image
        store(second, 8, 99)  # and it is an ordinary private memory: writable, not reaching the image
    assert image_bytes(image)[8:12] != (99).to_bytes(4, "little")


@reuse
def test_written_ranges_are_exactly_the_pages_written(image):
    buf = mmap.mmap(-1, image.size)
    base = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    try:
        image.map_over(base, image.size)
        ctypes.memset(base + 1 * SMALL, 1, 1)
        for page in (5, 6, 7):
            ctypes.memset(base + page * SMALL + 17, 2, 3)
        assert ctypes.string_at(base + 3 * SMALL, 4) == image_bytes(image)[3 * SMALL : 3 * SMALL + 4]  # read only
        assert page_reuse.written_ranges(base, image.size) == [
            (base + SMALL, base + 2 * SMALL),
            (base + 5 * SMALL, base + 8 * SMALL),
        ]
        old = ctypes.string_at(base + SMALL, 8)
        moved = page_reuse.move_aside(base, image.size)
        assert moved is not None
        assert ctypes.string_at(moved + SMALL, 8) == old  # the pages went with the mapping
        assert ctypes.string_at(base, image.size) == image_bytes(image)  # the old range reads as freshly mapped
        memory_image._unmap(moved, image.size)
    finally:
        del base
        buf.close()


@reuse
def test_too_much_written_or_too_many_kept_is_not_reused(engine, module, image, monkeypatch):
    monkeypatch.setattr(memory_image, "RECLAIM_BYTES", 2 * SMALL)
    k = fresh(engine, module)
    k.map_image(image)
    k.write_memory(b"x" * (3 * SMALL), 0)
    k.close()
    assert not image._spares  # over the cap: its pages were dropped
    monkeypatch.setattr(memory_image, "RECLAIM_BYTES", 16 << 20)
    ended = [fresh(engine, module) for _ in range(memory_image.MAX_SPARES + 2)]
    for k in ended:
        k.map_image(image)
        scribble(k, image.size)
    for k in ended:
        k.close()
    assert len(image._spares) == memory_image.MAX_SPARES
    with fresh(engine, module) as k:
        k.map_image(image)
        assert k.read_memory() == image_bytes(image)
    image.close()
    assert not image._spares


@reuse
def test_a_refused_move_maps_the_image_anew(engine, module, image, monkeypatch):
    k = fresh(engine, module)
    k.map_image(image)
    scribble(k, image.size)
    k.close()

    def refuse(source, size, target):
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(page_reuse, "move", refuse)
    with fresh(engine, module) as again:
        again.map_image(image)
        assert image.reused == 0
        assert not image._spares
        assert again.read_memory() == image_bytes(image)


def test_without_pagemap_scan_nothing_is_reused(engine, module, image, monkeypatch):
    monkeypatch.setattr(page_reuse, "written_ranges", lambda base, size: None)  # a kernel before 6.7
    k = fresh(engine, module)
    k.map_image(image)
    scribble(k, image.size)
    k.close()
    assert not image._spares
    with fresh(engine, module) as again:
        again.map_image(image)
        assert again.read_memory() == image_bytes(image)


@reuse
def test_a_memory_that_moved_since_the_mapping_is_not_reclaimed(engine, module, image, monkeypatch):
    """A memory that growth moved elsewhere (not wasmtime's default on 64-bit, where a memory never moves) is
    no longer the image's mapping: its pages are never taken for the next instance."""
    from langchain_wasm.runtime import kept

    k = fresh(engine, module)
    k.map_image(image)
    real = kept.memory_span
    monkeypatch.setattr(kept, "memory_span", lambda cctx, memory: (real(cctx, memory)[0] + PAGE, image.size))
    k.close()
    assert not image._spares


def test_a_failing_reclaim_still_frees_the_store(engine, module, image, monkeypatch):
    def fail(self, base, size):
        raise MemoryError

    monkeypatch.setattr(MemoryImage, "reclaim", fail)
    k = fresh(engine, module)
    k.map_image(image)
    with pytest.raises(MemoryError):
        k.close()
    assert k.ended == "closed"
    with pytest.raises(WasmCallError, match="has ended"):
        load(k, 0)
    k.close()  # idempotent


@reuse
def test_many_written_ranges_are_all_found(image, monkeypatch):
    """More ranges than one ioctl answer holds (every other small page written, answers of 3 regions): the
    scan goes on from where the kernel stopped and finds every one."""
    monkeypatch.setattr(page_reuse, "_VEC", 3)
    buf = mmap.mmap(-1, image.size)
    base = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    try:
        image.map_over(base, image.size)
        pages = range(0, image.size // SMALL, 2)
        for page in pages:
            ctypes.memset(base + page * SMALL, 0xAB, 8)
        found = page_reuse.written_ranges(base, image.size)
        assert found == [(base + p * SMALL, base + (p + 1) * SMALL) for p in pages]
        assert len(found) > 10 * page_reuse._VEC
    finally:
        del base
        buf.close()
