"""``ScriptedChatModel``: a tool-calling chat model that replays a script, for your tests of agents and tools.

LangChain's ``GenericFakeChatModel`` cannot ``bind_tools`` (it raises ``NotImplementedError``), so an agent
built with ``create_agent`` or ``create_wasm_agent`` cannot be tested offline with it. This one replays one
message per model call, records every conversation it was shown (``seen``) and the tool schemas it was bound
to (``bound_tools``, as a provider would receive them), and fails loudly when called more often than scripted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field, field_validator

__all__ = ["ScriptedChatModel", "tool_call"]


def tool_call(name: str, args: dict[str, Any], call_id: str) -> dict[str, Any]:
    """A tool call for an ``AIMessage(content="", tool_calls=[...])`` in a script."""
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


class ScriptedChatModel(BaseChatModel):
    """Replays ``script`` (one ``AIMessage`` or text per call). Not a model: a test double that binds tools.

    Setup:
        Part of ``langchain-wasm``; no provider, no network.

    Instantiation:
        .. code-block:: python

            from langchain_core.messages import AIMessage
            from langchain_wasm.chat_models import ScriptedChatModel, tool_call

            model = ScriptedChatModel(script=[
                AIMessage("", tool_calls=[tool_call("weather", {"city": "Paris"}, "c1")]),
                "It is 18 C in Paris.",
            ])

    Invocation:
        .. code-block:: python

            from langchain.agents import create_agent
            agent = create_agent(model, tools)          # bind_tools works
            agent.invoke({"messages": [("user", "Weather in Paris?")]})
            model.seen[1][-1]                           # the ToolMessage the model was shown
            model.bound_tools[0]["function"]["name"]    # "weather"
    """

    script: list[AIMessage]
    """What to answer, in order; consumed as the model is called."""
    seen: list[list[BaseMessage]] = Field(default_factory=list)
    """Every conversation the model was called with, in order."""
    bound_tools: list[dict[str, Any]] = Field(default_factory=list)
    """The tools of the last ``bind_tools`` call, in OpenAI tool format."""

    @field_validator("script", mode="before")
    @classmethod
    def _messages(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [AIMessage(item) if isinstance(item, str) else item for item in value]
        return value

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        self.bound_tools = [convert_to_openai_tool(t) for t in tools]
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.seen.append(list(messages))
        if not self.script:
            raise AssertionError(f"ScriptedChatModel was called {len(self.seen)} times; its script had fewer answers")
        return ChatResult(generations=[ChatGeneration(message=self.script.pop(0))])
