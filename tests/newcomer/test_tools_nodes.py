"""Issue 14: host functions through manifests, WasmNode's error text, the public scripted chat model."""

from __future__ import annotations

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage

from langchain_wasm import Capabilities, HostFunction, ScriptedChatModel, WasmModule, WasmNode, WasmTool
from langchain_wasm.chat_models import tool_call
from langchain_wasm.errors import ManifestError
from tests.guests.conftest import GUESTS

SCALE = """(module
  (import "env" "scale" (func $scale (param i32) (result i32)))
  (func (export "run") (param i32) (result i32) (call $scale (local.get 0))))"""

MANIFEST = """name = "scaler"
description = "Multiply a number by the host's factor."
abi = "core"
module = "scaler.wasm"
export = "run"

[[params]]
name = "x"
type = "i32"
description = "the number"
"""


@pytest.fixture
def scaler_dir(tmp_path):
    import wasmtime

    folder = tmp_path / "scaler"
    folder.mkdir()
    (folder / "scaler.wasm").write_bytes(wasmtime.wat2wasm(SCALE))
    (folder / "manifest.toml").write_text(MANIFEST)
    return folder


def test_a_guest_needing_a_host_function_loads_from_its_manifest_when_granted(scaler_dir):
    with pytest.raises(ManifestError, match="not granted"):  # nothing granted: refused at load, naming it
        WasmTool.from_manifest(scaler_dir)
    hf = HostFunction("env", "scale", ("i32",), ("i32",), lambda x: x * 10)
    tool = WasmTool.from_manifest(scaler_dir, capabilities=Capabilities(host_functions=(hf,)))
    assert "70" in str(tool.invoke({"x": 7}))
    node = WasmNode.from_manifest(
        scaler_dir, inputs={"x": "n"}, outputs={"y": "*"}, capabilities=Capabilities(host_functions=(hf,))
    )
    assert node.invoke({"n": 4})["y"] == 40
    wrong = HostFunction("env", "scale", ("i64",), ("i32",), lambda x: x)
    with pytest.raises(ManifestError, match="given capabilities"):
        WasmTool.from_manifest(scaler_dir, capabilities=Capabilities(host_functions=(wrong,)))


def test_wasm_node_error_key_names_the_guest_once():
    node = WasmNode.from_manifest(
        GUESTS / "quadratic_component",
        inputs={"a": "a", "b": "b", "c": "c"},
        outputs={"r": "*"},
        error_key="error",
    )
    update = node.invoke({"a": "not a number", "b": 1, "c": 1})
    assert update["error"].startswith("quadratic_component: ")
    assert not update["error"].startswith("quadratic_component: quadratic_component:")
    weather = WasmNode.from_manifest(GUESTS / "weather", inputs={"city": "city"}, outputs={"r": "*"}, error_key="e")
    assert weather.invoke({"city": "Atlantis"})["e"].startswith("weather: ")


def test_scripted_chat_model_drives_a_real_create_agent_loop():
    tool = WasmTool.from_manifest(GUESTS / "quadratic")
    model = ScriptedChatModel(
        script=[AIMessage("", tool_calls=[tool_call("quadratic", {"a": 1, "b": -3, "c": 2}, "c1")]), "x = 1 or 2"]
    )
    agent = create_agent(model, [tool])
    final = agent.invoke({"messages": [("user", "solve x^2 - 3x + 2 = 0")]})
    assert final["messages"][-1].content == "x = 1 or 2"
    assert model.bound_tools[0]["function"]["name"] == "quadratic"
    shown = model.seen[1][-1]
    assert isinstance(shown, ToolMessage)
    assert '"x1": 1.0' in shown.content
    with pytest.raises(AssertionError, match="script had fewer answers"):
        model.invoke("one more")


def test_core_module_core_call_still_works_for_the_manifestless_path():
    mod = WasmModule.from_wat(SCALE)
    hf = HostFunction("env", "scale", ("i32",), ("i32",), lambda x: x + 1)
    assert mod.call("run", 1, capabilities=Capabilities(host_functions=(hf,))).value == 2
