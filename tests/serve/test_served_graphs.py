"""The served graphs' entry points in-process: tools built once, a graph per (model, approvals) reused across
runs, and a run's config cannot pick a model the deployment did not load."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def served(monkeypatch_module):
    import importlib

    monkeypatch_module.delenv("LANGCHAIN_WASM_MODEL", raising=False)
    monkeypatch_module.delenv("LANGCHAIN_WASM_MODELS", raising=False)
    import graphs.wasm_agent as module

    return importlib.reload(module)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_graphs_are_built_once_per_choice(served):
    first = served.make_graph({"configurable": {"thread_id": "a"}})
    assert served.make_graph({"configurable": {"thread_id": "b"}}) is first
    assert served.make_graph({"configurable": {"approve": "none"}}) is not first
    assert served.make_graph({"configurable": {"approve": ["python"]}}) is served.make_graph(
        {"configurable": {"approve": ("python",)}}
    )
    assert {t.name for t in served.TOOLS} >= {"weather", "sha256", "python"}
    assert served.DEFAULT_MODEL == "recorded"


def test_a_run_cannot_pick_a_model_that_was_not_loaded(served):
    with pytest.raises(ValueError, match="not loaded by this deployment"):
        served.make_graph({"configurable": {"model": "openai:gpt-4.1-mini"}})
    with pytest.raises(ValueError, match="not loaded by this deployment"):
        served.make_graph({"configurable": {"model": "recorded:/etc/passwd"}})
    with pytest.raises(ValueError, match="approve"):
        served.make_graph({"configurable": {"approve": 3}})


def test_the_team_graph_is_prebuilt():
    import graphs.multi_agent as team

    assert team.make_graph() is team.make_graph()
    assert team.make_graph().name == "wasm_team"
