"""``Guest.from_manifest_data``: the one constructor behind ``Guest.load``, ``Guest.from_module`` and
``CompiledProgram.as_guest`` (manifest keys + a loaded module), tried with the real weather guest."""

from __future__ import annotations

import tomllib

import pytest

from langchain_wasm import Capabilities, Limits, WasmModule
from langchain_wasm.errors import LangChainWasmError
from langchain_wasm.guest.guest import Guest
from tests.guests.conftest import GUESTS

WEATHER = GUESTS / "weather"


def _data() -> dict:
    return tomllib.loads((WEATHER / "manifest.toml").read_text())


def test_it_builds_the_same_guest_as_load():
    loaded = Guest.load(WEATHER)
    data = _data()
    module = WasmModule.from_file(WEATHER / data["module"], name=data["name"])
    built = Guest.from_manifest_data(
        data, module, limits=loaded.limits, capabilities=loaded.capabilities, base=WEATHER, path=loaded.path
    )
    assert (built.name, built.abi, built.export, built.path) == (loaded.name, loaded.abi, loaded.export, loaded.path)
    assert built.input_schema == loaded.input_schema
    assert built.output_schema == loaded.output_schema
    assert built.call({"city": "Paris"}).value == loaded.call({"city": "Paris"}).value


def test_capabilities_that_do_not_cover_the_module_are_refused():
    data = _data()
    module = WasmModule.from_file(WEATHER / data["module"], name=data["name"])
    with pytest.raises(LangChainWasmError, match=r"clock|random"):  # Go's runtime imports clocks and random
        Guest.from_manifest_data(data, module, limits=Limits(), capabilities=Capabilities(wasi=True), base=WEATHER)


def test_an_unknown_abi_is_a_clear_error():
    data = {**_data(), "abi": "telepathy"}
    module = WasmModule.from_file(WEATHER / data["module"], name=data["name"])
    with pytest.raises(ValueError, match="unknown abi 'telepathy'"):
        Guest.from_manifest_data(data, module, limits=Limits(), capabilities=Capabilities.command())
