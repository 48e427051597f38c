"""Model specs for served graphs and the CLI: offline choices (recorded, llama.cpp) next to provider:model."""

from __future__ import annotations

import importlib.util
import json

import pytest

from langchain_wasm.chat_models.recorded import RecordedPlanner
from langchain_wasm.chat_models.specs import chat_model_from_spec


def test_no_spec_is_the_recorded_demo():
    for spec in (None, "", "recorded"):
        model = chat_model_from_spec(spec)
        assert isinstance(model, RecordedPlanner)
        assert "weather" in model.responses[0]


def test_a_recording_file(tmp_path):
    path = tmp_path / "plans.json"
    path.write_text(json.dumps([{"reasoning": "r", "steps": [], "final_answer": "hi"}, "raw text answer"]))
    model = chat_model_from_spec(f"recorded:{path}")
    assert isinstance(model, RecordedPlanner)
    assert json.loads(model.responses[0])["final_answer"] == "hi"
    assert model.responses[1] == "raw text answer"
    path.write_text("{}")
    with pytest.raises(ValueError, match="non-empty JSON list"):
        chat_model_from_spec(f"recorded:{path}")
    with pytest.raises(ValueError, match="cannot read the recording"):
        chat_model_from_spec(f"recorded:{tmp_path / 'missing.json'}")


def test_malformed_specs_name_the_choices():
    with pytest.raises(ValueError, match="provider:model"):
        chat_model_from_spec("gpt-4")


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is not None, reason="llama-cpp-python is installed")
def test_llamacpp_without_its_packages_names_the_install_command():
    with pytest.raises(ImportError, match="pip install langchain-community llama-cpp-python"):
        chat_model_from_spec("llamacpp:/models/model.gguf")
