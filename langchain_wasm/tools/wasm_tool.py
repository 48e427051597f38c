"""``WasmTool``: any Wasm guest as a LangChain tool, each call in a fresh sandboxed instance."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_type_hints

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from langchain_wasm.abi.component import WasmComponent
from langchain_wasm.errors import WasmCallError
from langchain_wasm.guest.guest import Guest
from langchain_wasm.runtime import Capabilities, Limits, WasmModule
from langchain_wasm.runtime.result import CallResult
from langchain_wasm.tools._schema import FlatPlan, flat_plan, model_from_schema, to_guest, to_guest_flat
from langchain_wasm.tools.errors import WasmToolArgumentError, to_tool_error

__all__ = ["WasmTool", "CONTENT_LIMIT"]

#: The model reads at most this many characters of a result; the whole result is in the artifact.
CONTENT_LIMIT = 4000


class WasmTool(BaseTool):
    """A Wasm guest as a LangChain tool: schema from the guest, every call in a fresh limited instance.

    Setup:
        ``pip install langchain-wasm``

    Instantiation:
        .. code-block:: python

            from langchain_wasm import WasmTool
            tool = WasmTool.from_manifest("guests/weather")          # a guest directory or manifest.toml

    Invocation:
        .. code-block:: python

            tool.invoke({"city": "Paris"})                           # the content string
            msg = tool.invoke({"type": "tool_call", "id": "1", "name": tool.name, "args": {"city": "Paris"}})
            msg.content, msg.artifact["result"], msg.artifact["metrics"]["fuel_used"]

    Errors the model can fix (bad arguments, the guest refusing the input, a sandbox limit) are
    ``ToolException`` subclasses (see ``langchain_wasm.tools.errors``) whose message says what to change; by
    default (``handle_tool_error=True``) they come back as an error ``ToolMessage``. Host misconfiguration
    (a broken manifest, an ungranted capability) raises. ``limits`` and ``capabilities`` default to the guest
    manifest's.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    response_format: str = "content_and_artifact"  # type: ignore[assignment]
    handle_tool_error: bool | str | Any = True
    """By default an error the model can fix becomes an error ``ToolMessage`` (so any agent, including
    ``create_agent``, whose ``ToolNode`` re-raises tool errors by default, keeps going). Set ``False`` to have
    the ``ToolException`` subclasses raised, e.g. for ``ToolNode(handle_tool_errors=...)`` to decide."""
    guest: Guest
    """The guest this tool runs."""
    limits: Limits
    """Limits of each call."""
    capabilities: Capabilities
    """What each call grants the guest."""
    _input_schema: dict[str, Any] = PrivateAttr(default_factory=dict)
    _flat: tuple[Any, FlatPlan | None] = PrivateAttr(default=(None, None))
    """(the args_schema the plan was made for, its plan): arguments of a plain-scalar schema skip re-validation."""

    def __init__(self, **kwargs: Any) -> None:
        guest: Guest = kwargs["guest"]
        kwargs.setdefault("name", guest.name)
        kwargs.setdefault("description", guest.description)
        kwargs.setdefault("limits", guest.limits)
        kwargs.setdefault("capabilities", guest.capabilities)
        if kwargs.get("args_schema") is None:
            kwargs["args_schema"] = model_from_schema(kwargs["name"], guest.input_schema)
        super().__init__(**kwargs)
        self._input_schema = guest.input_schema
        schema = self.args_schema
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            self._flat = (schema, flat_plan(schema, guest.input_schema))

    # -- constructors ----------------------------------------------------------------------------------------
    @classmethod
    def from_manifest(cls, path: str | Path, **overrides: Any) -> WasmTool:
        """A tool from a guest directory or its ``manifest.toml``; ``overrides`` may set name, description,
        limits, capabilities (which replace the manifest's; how host functions are granted) or args_schema."""
        return cls(guest=Guest.load(path, capabilities=overrides.get("capabilities")), **overrides)

    @classmethod
    def from_module(
        cls,
        module: WasmModule | WasmComponent,
        *,
        export: str,
        name: str | None = None,
        description: str | None = None,
        args_schema: type[BaseModel] | None = None,
        limits: Limits | None = None,
        capabilities: Capabilities | None = None,
    ) -> WasmTool:
        """A tool from a loaded module's export without a manifest.

        A core export takes numbers; its params are named ``arg0``, ``arg1``, ... unless ``args_schema`` names
        them (its fields in order). A component export takes its WIT params by name.
        """
        guest = Guest.from_module(
            module,
            export=export,
            name=name,
            description=description,
            limits=limits,
            capabilities=capabilities,
            param_names=list(args_schema.model_fields) if args_schema is not None else None,
        )
        return cls(guest=guest, args_schema=args_schema, limits=guest.limits, capabilities=guest.capabilities)

    # -- running ---------------------------------------------------------------------------------------------
    def _parse_input(self, tool_input: str | dict[str, Any], tool_call_id: str | None) -> str | dict[str, Any]:
        # Bad arguments from the model become a ToolException with a readable list of what to fix, so
        # ToolNode reports them back instead of failing the graph.
        try:
            return super()._parse_input(tool_input, tool_call_id)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}" for err in exc.errors()[:5]
            )
            raise WasmToolArgumentError(
                f"Invalid arguments for {self.name}: {problems}. Fix the arguments and call again."
            ) from exc

    def _arguments(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        schema = self.args_schema
        private = self.__pydantic_private__  # not ``self._flat``: pydantic's __getattr__ costs ~1 us per call
        made_for, plan = private["_flat"] if private else (None, None)
        if plan is not None and made_for is schema:  # arguments BaseTool validated, for plain scalars
            out = to_guest_flat(plan, dict(kwargs))
            if out is not None:
                return out
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            return to_guest(schema, dict(kwargs), self._input_schema)
        return dict(kwargs)

    def _call(self, kwargs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        try:
            result = self.guest.call(self._arguments(kwargs), limits=self.limits, capabilities=self.capabilities)
        except WasmCallError as exc:
            raise to_tool_error(self.name, exc) from exc
        return self.format(result)

    def format(self, result: CallResult) -> tuple[str, dict[str, Any]]:
        """(content for the model, artifact with the structured result and the call's metrics)."""
        value = result.value
        if type(value) is int:  # a core export's number: its JSON text is its repr (json.dumps costs ~1 us more)
            text = repr(value)
        else:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        if len(text) > CONTENT_LIMIT:
            text = text[:CONTENT_LIMIT] + f"... [truncated, {len(text)} characters in all]"
        artifact = {
            "result": value,
            "metrics": result.metrics.as_dict(),
            "stdout": result.stdout_text()[:CONTENT_LIMIT] if result.stdout else "",
            "stderr": result.stderr_text()[:CONTENT_LIMIT] if result.stderr else "",
        }
        return text, artifact

    def _run(self, *args: Any, run_manager: CallbackManagerForToolRun | None = None, **kwargs: Any) -> Any:
        return self._call(kwargs)

    async def _arun(self, *args: Any, run_manager: AsyncCallbackManagerForToolRun | None = None, **kwargs: Any) -> Any:
        # The guest runs on a worker thread (wasmtime releases the GIL). If the awaiting task is cancelled the
        # thread still finishes, but never past the call's deadline: Limits.timeout_s stops the guest.
        return await asyncio.to_thread(self._call, kwargs)


# BaseTool.run resolves ``_run``'s annotations on every call (``typing.get_type_hints``, looking for a
# ``RunnableConfig`` parameter); with postponed annotations that compiles and evaluates each string every time
# (~4 us per call measured here). Resolved once at import, the per-call lookup finds real types.
for _method in (WasmTool._run, WasmTool._arun):
    _method.__annotations__ = get_type_hints(_method)
