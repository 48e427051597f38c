"""``WasmNode``: a Wasm guest as a LangGraph node (state keys in, state update out, fresh instance per run)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig, RunnableSerializable
from pydantic import ConfigDict

from langchain_wasm.errors import WasmCallError
from langchain_wasm.guest.guest import Guest
from langchain_wasm.runtime import Capabilities, Limits

__all__ = ["WasmNode"]


class WasmNode(RunnableSerializable[dict[str, Any], dict[str, Any]]):
    """Run a guest as a graph node.

    ``inputs`` maps guest argument names to the state keys they are read from; ``outputs`` maps state keys to
    write to the result fields they take (``"*"`` takes the whole result). Each run uses a fresh instance.
    On a guest error the node raises, or, with ``error_key``, writes the error message there (and nothing
    else) so the graph can route on it.

    Instantiation:
        .. code-block:: python

            from langgraph.graph import StateGraph
            node = WasmNode.from_manifest("guests/weather", inputs={"city": "city"},
                                          outputs={"temperature_c": "temperature"}, error_key="error")
            graph = StateGraph(State); graph.add_node("weather", node)
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    guest: Guest
    inputs: dict[str, str]
    outputs: dict[str, str]
    error_key: str | None = None
    limits: Limits | None = None
    capabilities: Capabilities | None = None

    @classmethod
    def from_manifest(cls, path: str | Path, **kwargs: Any) -> WasmNode:
        """A node from a guest directory or ``manifest.toml``; ``capabilities`` replace the manifest's."""
        return cls(guest=Guest.load(path, capabilities=kwargs.get("capabilities")), **kwargs)

    def _update(self, state: Mapping[str, Any]) -> dict[str, Any]:
        missing = [key for key in self.inputs.values() if key not in state]
        if missing:
            raise KeyError(f"WasmNode({self.guest.name}): state has no key(s) {missing}")
        arguments = {arg: state[key] for arg, key in self.inputs.items()}
        try:
            result = self.guest.call(arguments, limits=self.limits, capabilities=self.capabilities)
        except WasmCallError as exc:
            if self.error_key is None:
                raise
            message = str(exc)  # guest errors often start with the guest's name already: say it once
            prefix = f"{self.guest.name}: "
            return {self.error_key: message if message.startswith(prefix) else prefix + message}
        value = result.value
        update: dict[str, Any] = {}
        for key, field in self.outputs.items():
            if field == "*":
                update[key] = value
            elif isinstance(value, Mapping) and field in value:
                update[key] = value[field]
            else:
                raise KeyError(f"WasmNode({self.guest.name}): the result has no field {field!r}")
        if self.error_key is not None:
            update[self.error_key] = None
        return update

    def invoke(self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any) -> dict[str, Any]:
        return self._call_with_config(self._update, input, config, run_type="chain")

    async def ainvoke(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        # The guest runs on a worker thread; the deadline in its limits bounds it even if the task is cancelled.
        return await asyncio.to_thread(self.invoke, input, config)
