"""A local GGUF model through llama-cpp-python, in process, with its parameters read from the GGUF file.

langchain-community's ``ChatLlamaCpp`` hard-codes ``rope_freq_base=10000`` and defaults to ``n_ctx=512`` and
``n_batch=8``, which breaks models trained otherwise (SmolLM2 says 100000 and 8192). This one reads the training
context length and the RoPE base from the file's metadata, and constrains the output with a grammar made from a
JSON Schema (``with_grammar``), which is how the plan/execute agent asks it for plans.

Install: ``pip install 'langchain-wasm[llm]'`` (builds llama-cpp-python from source; see the README for the
portable build flags).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from pydantic import PrivateAttr

__all__ = ["ChatLlamaCpp", "gguf_parameters"]

_INSTALL = "pip install 'langchain-wasm[llm]'"
_MAX_CONTEXT = 8192  # enough for the planner; a model's full window costs KV-cache memory


def _llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"ChatLlamaCpp needs llama-cpp-python; install it with: {_INSTALL}") from exc
    return llama_cpp


def gguf_parameters(model_path: str) -> dict[str, Any]:
    """What the GGUF file says about itself: architecture, training context length, RoPE base, chat template."""
    llama = _llama_cpp().Llama(model_path=model_path, vocab_only=True, verbose=False)
    meta: Mapping[str, str] = llama.metadata
    arch = meta.get("general.architecture", "llama")
    out: dict[str, Any] = {"architecture": arch, "name": meta.get("general.name")}
    if f"{arch}.context_length" in meta:
        out["context_length"] = int(meta[f"{arch}.context_length"])
    if f"{arch}.rope.freq_base" in meta:
        out["rope_freq_base"] = float(meta[f"{arch}.rope.freq_base"])
    out["chat_template"] = "tokenizer.chat_template" in meta
    llama.close()
    return out


class ChatLlamaCpp(BaseChatModel):
    """A GGUF chat model run in process by llama-cpp-python.

    Setup:
        ``pip install 'langchain-wasm[llm]'``

    Instantiation:
        .. code-block:: python

            from langchain_wasm.chat_models.llamacpp import ChatLlamaCpp
            model = ChatLlamaCpp(model_path="SmolLM2-135M-Instruct.Q4_1.gguf")   # n_ctx, rope base from the file

    Invocation:
        .. code-block:: python

            model.invoke("Hello").content
            model.with_grammar({"type": "object", ...}).invoke(messages)     # output constrained to the schema
    """

    model_path: str
    """Path of the GGUF file."""
    n_ctx: int = 0
    """Context window; 0: the file's training context, capped at 8192."""
    n_batch: int = 512
    """Prompt tokens evaluated per batch."""
    n_threads: int | None = None
    """CPU threads (None: llama.cpp's default)."""
    temperature: float = 0.0
    max_tokens: int = 512
    seed: int = 0
    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _params: dict[str, Any] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._params = gguf_parameters(self.model_path)
        if not self.n_ctx:
            self.n_ctx = min(int(self._params.get("context_length", 2048)), _MAX_CONTEXT)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def gguf(self) -> dict[str, Any]:
        """The parameters read from the GGUF file."""
        return dict(self._params)

    def _model(self) -> Any:
        if self._llama is None:
            kwargs: dict[str, Any] = {"n_ctx": self.n_ctx, "n_batch": self.n_batch, "seed": self.seed}
            if "rope_freq_base" in self._params:
                kwargs["rope_freq_base"] = self._params["rope_freq_base"]
            if self.n_threads:
                kwargs["n_threads"] = self.n_threads
            self._llama = _llama_cpp().Llama(model_path=self.model_path, verbose=False, **kwargs)
        return self._llama

    def with_grammar(self, schema: Mapping[str, Any]) -> Runnable[Any, BaseMessage]:
        """This model with its output constrained to JSON following ``schema`` (llama.cpp's grammar)."""
        return self.bind(json_schema=dict(schema))

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in this model's vocabulary."""
        return len(self._model().tokenize(text.encode(), add_bos=False, special=True))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request: dict[str, Any] = {
            "messages": [_to_dict(m) for m in messages],
            "temperature": self.temperature,
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "seed": self.seed,
            "stop": stop,
        }
        if kwargs.get("json_schema") is not None:
            request["response_format"] = {"type": "json_object", "schema": kwargs["json_schema"]}
        with self._lock:  # a llama.cpp context serves one request at a time
            out = self._model().create_chat_completion(**request)
        choice = out["choices"][0]
        message = AIMessage(
            choice["message"].get("content") or "",
            response_metadata={"finish_reason": choice.get("finish_reason"), "model": self.model_path},
            usage_metadata={
                "input_tokens": out["usage"]["prompt_tokens"],
                "output_tokens": out["usage"]["completion_tokens"],
                "total_tokens": out["usage"]["total_tokens"],
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


def _to_dict(msg: BaseMessage) -> dict[str, str]:
    content = msg.content if isinstance(msg.content, str) else json.dumps(msg.content, ensure_ascii=False)
    if isinstance(msg, SystemMessage):
        return {"role": "system", "content": content}
    if isinstance(msg, AIMessage):
        if msg.tool_calls and not content:
            content = json.dumps([{"name": c["name"], "args": c["args"]} for c in msg.tool_calls])
        return {"role": "assistant", "content": content}
    if isinstance(msg, ToolMessage):
        return {"role": "user", "content": f"Result of {msg.tool_call_id}: {content}"}
    return {"role": "user", "content": content}
