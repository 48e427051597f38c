"""Interpreters started from the template's memory image (template.py, runtime/memory_image.py): from the third
interpreter on the template is mapped instead of copied; each mapped interpreter is as fresh as a copied one,
nothing one leaves behind reaches the next or the image, and when the image cannot be made or mapped the pages
are copied as before."""

from __future__ import annotations

import hashlib
import os

import pytest

from langchain_wasm import WasmPythonSandbox
from langchain_wasm.python.interpreter import Interpreter
from langchain_wasm.python.results import ResultCaps
from langchain_wasm.python.template import Template
from langchain_wasm.python.workspace import Workspace
from langchain_wasm.runtime import memory_image, page_reuse
from langchain_wasm.runtime.limits import Limits
from langchain_wasm.runtime.memory_image import MemoryImage

pytestmark = pytest.mark.skipif(not memory_image.supported(), reason="memory images need Linux memfds")

LIMITS = Limits(timeout_s=30, fuel=None)
#: what a fresh interpreter reports, and what it leaves behind for a next one to find
PROBE = (
    "import sys\nfresh = not hasattr(sys.modules['_lcw'], 'leak')\nsys.modules['_lcw'].leak = 'L' * 100_000\n"
    "secret = 'S3CRET' * 50_000\nprint('hi')\nfresh"
)


@pytest.fixture
def template(sandbox):
    """A template of its own (the process-wide one has long been mapped), with the process's pages."""
    shared = sandbox.template()
    return Template(shared.modules, shared.memory_size, shared.runs, shared.sent)


@pytest.fixture
def start(runtime, tmp_path):
    made: list[tuple[Interpreter, Workspace]] = []

    def start_one(template: Template) -> Interpreter:
        workspace = Workspace(tmp_path)
        interp = template.start(lambda: Interpreter(runtime, workspace, LIMITS, install=False))
        made.append((interp, workspace))
        return interp

    yield start_one
    for interp, workspace in made:
        interp.close()
        workspace.remove()


def image_digest(template: Template) -> str:
    image = template._image
    assert image is not None
    return hashlib.sha256(os.pread(image.fd, image.size, 0)).hexdigest()


def test_the_third_interpreter_on_is_mapped_and_each_is_fresh(template, start):
    results = []
    for n in range(5):
        interp = start(template)
        result = interp.run(PROBE, LIMITS, ResultCaps())
        assert result.error is None, result.error
        assert result.stdout == "hi\n"
        results.append(result.result)
        if n == 2:
            digest = image_digest(template)
    assert results == [True] * 5  # no interpreter saw what an earlier one left
    assert (template.copied, template.mapped) == (2, 3)
    assert image_digest(template) == digest  # three mapped interpreters wrote to their memory; the image is as made
    image = template._image
    assert image is not None
    assert b"S3CRET" not in os.pread(image.fd, image.size, 0)


def test_a_mapped_interpreter_holds_the_template_state(template, start):
    for _ in range(2):
        start(template)
    interp = start(template)
    assert template.mapped == 1
    assert interp.held_options == template.sent  # its first turn sends no options
    first = interp.run("import sys\n[len(sys.modules['_lcw'].__dict__) > 5, __name__]", LIMITS, ResultCaps())
    assert first.result == [True, "__main__"]
    grown = interp.run("b = bytearray(96 * 1024 * 1024); b[-1] = 7; len(b) + b[-1]", LIMITS, ResultCaps())
    assert grown.result == 96 * 1024 * 1024 + 7  # memory grows past the image


def test_a_memory_cap_below_the_image_is_refused_as_before(template, start, runtime, tmp_path):
    for _ in range(2):
        start(template)
    from langchain_wasm.errors import WasmMemoryLimitError

    workspace = Workspace(tmp_path)
    try:
        small = Limits(timeout_s=30, fuel=None, memory_bytes=template.memory_size - 65536)
        with pytest.raises(WasmMemoryLimitError):
            template.start(lambda: Interpreter(runtime, workspace, small, install=False))
    finally:
        workspace.remove()


def test_without_images_the_pages_are_copied(template, start, monkeypatch):
    monkeypatch.setattr(MemoryImage, "build", classmethod(lambda cls, base, size: None))
    for _ in range(4):
        assert start(template).run(PROBE, LIMITS, ResultCaps()).result is True
    assert (template.copied, template.mapped) == (4, 0)
    assert template._image is None


def test_a_refused_mapping_falls_back_to_copying(template, start, monkeypatch):
    for _ in range(2):
        start(template)
    assert template._image is not None

    def refuse(self, base, size):
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(MemoryImage, "map_over", refuse)
    interp = start(template)  # the mapping is refused: that interpreter ends, a second one is copied
    assert interp.run(PROBE, LIMITS, ResultCaps()).result is True
    assert template._image is None
    assert (template.copied, template.mapped) == (3, 0)
    assert start(template).run(PROBE, LIMITS, ResultCaps()).result is True  # copies from now on
    assert template.copied == 4


def test_sessions_and_one_shots_of_a_sandbox_use_the_image(runtime):
    sb = WasmPythonSandbox(quiet=True, prewarm=False)
    try:
        for _ in range(3):
            assert sb.run("print(6 * 7)").stdout == "42\n"
        template = sb.template()
        assert template._image is not None
        mapped = template.mapped
        with sb.session() as s:
            s.run("x = [1, 2, 3]")
            blob = s.snapshot()
        assert template.mapped == mapped + 1
        with sb.restore(blob) as restored:
            assert restored.run("sum(x)").result == 6
    finally:
        sb.close()


def test_starts_do_not_wait_while_the_image_is_being_made(template, start, monkeypatch):
    """The image is made by the second start (~50-70 ms); a start on another thread meanwhile copies."""
    import threading

    real_build = MemoryImage.build.__func__
    building, go_on = threading.Event(), threading.Event()

    def slow_build(cls, base, size):
        building.set()
        assert go_on.wait(30)
        return real_build(cls, base, size)

    monkeypatch.setattr(MemoryImage, "build", classmethod(slow_build))
    start(template)
    second = threading.Thread(target=start, args=(template,))
    second.start()
    try:
        assert building.wait(30)
        third = start(template)  # returns while the second start is still making the image
        assert template._image is None
        assert third.run(PROBE, LIMITS, ResultCaps()).result is True
    finally:
        go_on.set()
        second.join(30)
    assert template._image is not None
    assert (template.copied, template.mapped) == (3, 0)
    assert start(template).run(PROBE, LIMITS, ResultCaps()).result is True
    assert template.mapped == 1


@pytest.mark.skipif(page_reuse.written_ranges(0, 0) is None, reason="reusing pages needs Linux 6.7+ (PAGEMAP_SCAN)")
def test_closed_interpreters_pages_are_reused_reset_to_the_image(template, runtime, tmp_path):
    """Each closed interpreter's written pages go to the next (MemoryImage.reclaim): every next one still
    starts with exactly the image's bytes, sees nothing the last one left, and takes no faults for them."""
    seen = []
    for _ in range(6):
        workspace = Workspace(tmp_path)
        interp = template.start(lambda: Interpreter(runtime, workspace, LIMITS, install=False))  # noqa: B023
        try:
            image = template._image
            if image is not None:  # mapped (from the third on): before any turn, byte for byte the image
                assert interp.read_memory() == os.pread(image.fd, image.size, 0)
            result = interp.run(PROBE, LIMITS, ResultCaps())
            assert result.error is None, result.error
            seen.append(result.result)
        finally:
            interp.close()
            workspace.remove()
    assert seen == [True] * 6
    image = template._image
    assert image is not None
    assert template.mapped == 4
    assert image.reused >= 3
    assert b"S3CRET" not in os.pread(image.fd, image.size, 0)
