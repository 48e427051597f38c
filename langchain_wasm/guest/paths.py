"""Where the example guests live: inside the installed package, or in ``guests/`` of a source checkout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["default_guest_dir"]

_PACKAGE = Path(__file__).resolve().parents[1]


def default_guest_dir() -> Path:
    """The example guests: ``langchain_wasm/guests/`` in an installed wheel, else the checkout's ``guests/``.

    The wheel carries the example guests (manifests, schemas, prebuilt ``.wasm``; not the hostile ones) so that
    ``WasmToolkit.from_directory()``, ``langchain-wasm agent``, ``warmup`` and the demo work after ``pip install``.
    """
    packaged = _PACKAGE / "guests"
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / "guests"
