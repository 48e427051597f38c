"""A recorded planner for demos without a model: replays fixed plan texts, clearly labelled as recorded.

The graph, the validation and the sandboxes it drives are the real ones; only the planner's answers are
pre-written. ``langchain-wasm agent`` and ``make demo`` use it when no model is configured.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

__all__ = ["COMPILER_DEMO_QUESTION", "DEMO_QUESTION", "RecordedPlanner", "compiler_demo_planner", "demo_planner"]

DEMO_QUESTION = (
    "How warm is it in Reykjavik and in Cairo right now in Fahrenheit? "
    "Also give me a SHA-256 fingerprint of the two readings."
)

_DEMO_PLANS: list[dict[str, Any]] = [
    {
        "reasoning": "Look up both cities in imperial units (independent steps, run in parallel), then "
        "fingerprint the two readings (depends on both).",
        "steps": [
            {"id": "rey", "tool": "weather", "args": {"city": "Reykjavik", "units": "imperial"}},
            {"id": "cai", "tool": "weather", "args": {"city": "Cairo", "units": "imperial"}},
            {
                "id": "fp",
                "tool": "sha256",
                "args": {"text": "Reykjavik ${rey.temperature} F, Cairo ${cai.temperature} F"},
            },
        ],
    },
]


class RecordedPlanner(BaseChatModel):
    """Replays ``responses`` (plan JSON texts). Not a model: a recording, for demos and docs.

    Stateless: the n-th planner turn of a conversation (counted from the AI turns it is shown: plans, rejected
    answers and final answers, each of which was one of its responses) gets the n-th response, so a thread
    resumed in a new process, or a second question on the same thread, continues the recording where it stopped.
    """

    responses: list[str]

    @property
    def _llm_type(self) -> str:
        return "recorded-planner"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> RecordedPlanner:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # every AI turn the planner is shown was one of ours: plans, invalid answers and final answers alike
        turn = sum(1 for m in messages if isinstance(m, AIMessage))
        if turn < len(self.responses):
            text = self.responses[turn]
        else:
            text = json.dumps({"reasoning": "the recording is over", "steps": [], "final_answer": "(end of recording)"})
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])


def demo_planner() -> RecordedPlanner:
    """The recording behind ``make demo``: weather x2 in parallel, a fingerprint of both, then the answer."""
    first = _DEMO_PLANS[0]
    final = {
        "reasoning": "The observations answer the question.",
        "steps": [],
        "final_answer": "Reykjavik: ${rey.temperature} F (${rey.condition}); Cairo: ${cai.temperature} F "
        "(${cai.condition}). Fingerprint of the readings: ${fp}.",
    }
    return RecordedPlanner(responses=[json.dumps(first), json.dumps(final)])


COMPILER_DEMO_QUESTION = "Write C code for it: what is the 40th Fibonacci number, and is 2^31 - 1 a prime?"

_FIB_C = (
    "long long fib(int n) {\n"
    "  long long a = 0, b = 1;\n"
    "  while (n-- > 0) { long long t = a + b; a = b; b = t; }\n"
    "  return a;\n"
    "}\n"
)
_PRIME_C = (
    "#include <stdio.h>\n"
    "int main(void) {\n"
    "  unsigned long long n = 2147483647ULL;\n"
    "  for (unsigned long long d = 2; d * d <= n; d++)\n"
    '    if (n % d == 0) { printf("no, %llu divides it\\n", d); return 0; }\n'
    '  printf("yes\\n");\n'
    "  return 0;\n"
    "}\n"
)


def compiler_demo_planner() -> RecordedPlanner:
    """A recording where the model writes C: a function compiled once and called by a later step, and a
    program compiled and run (the tools of ``langchain_wasm.compiler.tool.compiler_tools``)."""
    plan = {
        "reasoning": "Compile a Fibonacci function once and call it in a later step; run a primality program.",
        "steps": [
            {
                "id": "fib_c",
                "tool": "compile_function",
                "args": {"name": "fib", "source": _FIB_C, "params": ["n"], "description": "n-th Fibonacci number"},
            },
            {"id": "f40", "tool": "call_function", "args": {"name": "fib", "args": {"n": 40}}, "depends_on": ["fib_c"]},
            {"id": "prime", "tool": "run_c", "args": {"source": _PRIME_C, "flags": ["-O2"]}},
        ],
    }
    final = {
        "reasoning": "The observations answer the question.",
        "steps": [],
        "final_answer": "fib(40) = ${f40}; is 2^31 - 1 prime? ${prime.stdout}",
    }
    return RecordedPlanner(responses=[json.dumps(plan), json.dumps(final)])
