"""Guests as MCP tools: the schema from the guest, one sandboxed call per request, errors as ``isError``.

An MCP ``structuredContent`` must be a JSON object, so a guest whose result is an object is passed as it is and
any other result (a number, a list) is wrapped as ``{"result": value}``, with the output schema wrapped to match.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from typing import Any

import anyio.to_thread
from mcp import types

from langchain_wasm.errors import WasmCallError
from langchain_wasm.guest.guest import Guest
from langchain_wasm.runtime.limits import Limits
from langchain_wasm.tools.errors import to_tool_error

__all__ = ["CONTENT_LIMIT", "GuestTool", "narrow_limits"]

#: The text content a model reads is capped; the whole result is in ``structuredContent``.
CONTENT_LIMIT = 4000


def narrow_limits(limits: Limits, cap: Limits | None) -> Limits:
    """``limits`` with every field no wider than ``cap``'s (a flag can tighten a manifest, never loosen it)."""
    if cap is None:
        return limits
    changes: dict[str, Any] = {}
    for f in fields(Limits):
        if not f.init:  # bookkeeping (which fields the caller set), not a limit
            continue
        mine, theirs = getattr(limits, f.name), getattr(cap, f.name)
        if theirs is None:
            continue
        changes[f.name] = theirs if mine is None else min(mine, theirs)
    return replace(limits, **changes)


def _is_object_schema(schema: dict[str, Any] | None) -> bool:
    return bool(schema) and schema.get("type") == "object"  # type: ignore[union-attr]


@dataclass(frozen=True)
class GuestTool:
    """One guest offered over MCP, with the limits its calls get (the manifest's, narrowed by the server's cap)."""

    guest: Guest
    limits: Limits

    @property
    def name(self) -> str:
        return self.guest.name

    def _wraps(self) -> bool:
        return not _is_object_schema(self.guest.output_schema)

    def definition(self) -> types.Tool:
        """The MCP tool: name, description, input/output schema and behaviour hints that hold for this guest."""
        caps = self.guest.capabilities
        writes = any(p.writable for p in caps.preopens)
        deterministic = not (caps.clocks or caps.random)
        output = self.guest.output_schema
        if output is not None and self._wraps():
            output = {"type": "object", "properties": {"result": output}, "required": ["result"]}
        return types.Tool(
            name=self.guest.name,
            description=self.guest.description,
            inputSchema=self.guest.input_schema,
            outputSchema=output,
            annotations=types.ToolAnnotations(
                title=self.guest.name,
                readOnlyHint=not writes,
                destructiveHint=False,
                idempotentHint=deterministic and not writes,
                openWorldHint=False,  # a guest never gets a socket
            ),
        )

    def _call(self, arguments: dict[str, Any]) -> types.CallToolResult:
        try:
            result = self.guest.call(arguments, limits=self.limits)
        except WasmCallError as exc:
            message = str(to_tool_error(self.guest.name, exc))
            return types.CallToolResult(content=[types.TextContent(type="text", text=message)], isError=True)
        value = result.value
        structured = value if isinstance(value, dict) and not self._wraps() else {"result": value}
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        if len(text) > CONTENT_LIMIT:
            text = text[:CONTENT_LIMIT] + f"... [truncated, {len(text)} characters in all]"
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)],
            structuredContent=structured,
            isError=False,
            _meta={"langchain_wasm/metrics": result.metrics.as_dict()},
        )

    async def call(self, arguments: dict[str, Any]) -> types.CallToolResult:
        """Run the guest on a worker thread (wasmtime releases the GIL; the call's deadline bounds it)."""
        return await anyio.to_thread.run_sync(self._call, arguments)
