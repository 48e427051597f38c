"""The checks both transports must pass, written against ``langchain-mcp-adapters``' client and tools."""

from __future__ import annotations

import base64
import json
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_mcp_adapters.tools import load_mcp_tools
from mcp import ClientSession

from langchain_wasm.guest.guest import Guest
from tests.guests.conftest import GUESTS

GUEST_TOOLS = {"weather", "sha256", "text_stats", "matmul", "quadratic", "loop", "memory_bomb"}


async def call(tool: BaseTool, args: dict[str, Any], call_id: str = "1") -> ToolMessage:
    msg = await tool.ainvoke({"type": "tool_call", "id": call_id, "name": tool.name, "args": args})
    assert isinstance(msg, ToolMessage)
    return msg


def text(msg: ToolMessage) -> str:
    if isinstance(msg.content, str):
        return msg.content
    return "\n".join(b["text"] for b in msg.content if isinstance(b, dict) and b.get("type") == "text")


async def tools_of(session: ClientSession) -> dict[str, BaseTool]:
    return {t.name: t for t in await load_mcp_tools(session)}


async def check_tools_load(session: ClientSession) -> dict[str, BaseTool]:
    tools = await tools_of(session)
    assert GUEST_TOOLS | {"run_python"} <= set(tools)
    assert "steal_files" not in tools  # hostile/ is skipped when a whole tree is scanned
    listed = {t.name: t for t in (await session.list_tools()).tools}
    weather = Guest.load(GUESTS / "weather")
    assert listed["weather"].inputSchema == weather.input_schema
    assert listed["weather"].outputSchema == weather.output_schema
    assert listed["sha256"].annotations.readOnlyHint is True
    assert listed["sha256"].annotations.idempotentHint is True  # no clocks, no randomness: same input, same output
    assert listed["weather"].annotations.idempotentHint is False  # it is granted clocks and random
    assert listed["run_python"].annotations.readOnlyHint is False
    assert all(t.annotations.openWorldHint is False for t in listed.values())
    return tools


async def check_guest_artifact(tools: dict[str, BaseTool]) -> None:
    msg = await call(tools["weather"], {"city": "Paris"})
    expected = Guest.load(GUESTS / "weather").call({"city": "Paris"}).value
    assert msg.status == "success"
    assert msg.artifact["structured_content"] == expected
    assert json.loads(text(msg)) == expected
    bad = await call(tools["weather"], {"city": "Atlantis"})
    assert bad.status == "error"
    assert "Atlantis" in text(bad) or "Known cities" in text(bad)


async def check_python_state(session: ClientSession, tools: dict[str, BaseTool]) -> None:
    py = tools["run_python"]
    first = await call(py, {"code": "x = 41\nwith open('out.csv', 'w') as f:\n    f.write('a,b\\n1,2\\n')\nx"})
    assert first.status == "success"
    assert text(first).strip().splitlines() == ["41", "[files written: out.csv]"]
    links = [b for b in first.content if isinstance(b, dict) and b.get("type") == "file"]
    assert [b["url"] for b in links] == ["sandbox://workspace/out.csv"]
    second = await call(py, {"code": "x + 1"}, "2")
    assert text(second).strip() == "42"
    assert second.artifact["structured_content"]["result"] == 42
    resource = await session.read_resource("sandbox://workspace/out.csv")  # type: ignore[arg-type]
    assert resource.contents[0].text == "a,b\n1,2\n"  # type: ignore[union-attr]
    names = [r.name for r in (await session.list_resources()).resources]
    assert names == ["out.csv"]


async def check_python_figure(tools: dict[str, BaseTool]) -> None:
    msg = await call(
        tools["run_python"],
        {"code": "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3])"},
    )
    images = [b for b in msg.content if isinstance(b, dict) and b.get("type") == "image"]
    assert len(images) == 1
    assert base64.b64decode(images[0]["base64"]).startswith(b"\x89PNG\r\n\x1a\n")


async def check_errors_and_limits(tools: dict[str, BaseTool]) -> None:
    py = tools["run_python"]
    err = await call(py, {"code": "1/0"})
    assert err.status == "error"
    assert "ZeroDivisionError" in text(err)
    alive = await call(py, {"code": "y = 'still here'\ny"})  # an exception does not end the session
    assert "still here" in text(alive)
    # a guest that never returns is stopped by its manifest's deadline; the server keeps serving
    loop = await call(tools["loop"], {})
    assert loop.status == "error"
    assert "stopped" in text(loop)
    bomb = await call(tools["memory_bomb"], {})
    assert bomb.status == "error"
    assert (await call(tools["weather"], {"city": "Tokyo"})).status == "success"
    # Python past the server's --timeout: an error, the interpreter is reset, the next call works in a new one
    spin = await call(py, {"code": "while True:\n    pass"})
    assert spin.status == "error"
    assert "reset" in text(spin)
    after = await call(py, {"code": "'y' in globals()"})
    assert after.status == "success"
    assert "False" in text(after)
    assert "new one" in text(after)
