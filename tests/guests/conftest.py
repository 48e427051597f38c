"""Guests from the repo's guests/ directory, loaded through their manifests (the committed .wasm files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from langchain_wasm.guest.guest import Guest

GUESTS = Path(__file__).resolve().parents[2] / "guests"


@pytest.fixture(scope="session")
def load_guest():
    cache: dict[str, Guest] = {}

    def load(name: str) -> Guest:
        if name not in cache:
            cache[name] = Guest.load(GUESTS / name)
        return cache[name]

    return load
