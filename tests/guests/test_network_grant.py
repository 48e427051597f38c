"""The network grant declared in a manifest (``[capabilities.http]``), and the agent's default approval rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import wasmtime

from langchain_wasm import WasmTool
from langchain_wasm.errors import ManifestError
from langchain_wasm.graph.executor import needs_approval_by_default
from langchain_wasm.guest.guest import Guest
from langchain_wasm.runtime.http_grant import HttpGrant
from tests.http_server import TestServer

FETCH_WAT = Path(__file__).parents[2] / "guests" / "wat" / "http_fetch.wat"


@pytest.fixture(scope="module")
def server():
    srv = TestServer()
    yield srv
    srv.close()


def write_guest(tmp_path: Path, http_toml: str) -> Path:
    (tmp_path / "http_fetch.wasm").write_bytes(wasmtime.wat2wasm(FETCH_WAT.read_text()))
    (tmp_path / "manifest.toml").write_text(
        'name = "http_fetch"\n'
        'description = "Fetch a URL from the allowed API through the host."\n'
        'abi = "json-stdio"\nmodule = "http_fetch.wasm"\nexport = "_start"\n'
        'input_schema = {type = "object"}\noutput_schema = {type = "object"}\n\n'
        "[capabilities]\nwasi = true\n" + http_toml
    )
    return tmp_path


def test_manifest_grant_with_a_secret_from_the_environment(tmp_path, server, monkeypatch):
    monkeypatch.setenv("LCW_TEST_API_KEY", "sk-from-env-42")
    path = write_guest(
        tmp_path,
        "[capabilities.http]\nmax_requests = 2\n"
        f'[[capabilities.http.origins]]\nurl = "{server.base}/"\nmethods = ["GET"]\n'
        'headers = {"X-Api-Key" = "${LCW_TEST_API_KEY}"}\n',
    )
    guest = Guest.load(path)
    grant = guest.capabilities.http
    assert isinstance(grant, HttpGrant)
    assert grant.max_requests == 2
    assert grant.origins[0].methods == ("GET",)
    frame = json.dumps({"url": f"{server.base}/secret"}).encode()
    result = guest.module.run(stdin=frame, capabilities=guest.capabilities)
    assert server.seen[-1]["headers"]["X-Api-Key"] == "sk-from-env-42"
    assert b"sk-from-env-42" not in result.stdout
    assert result.stdout.endswith(b"your key is [redacted]")


def test_manifest_errors_name_the_problem(tmp_path, monkeypatch):
    monkeypatch.delenv("LCW_TEST_MISSING", raising=False)
    path = write_guest(
        tmp_path,
        '[capabilities.http]\n[[capabilities.http.origins]]\nurl = "https://api.example.com"\n'
        'headers = {"Authorization" = "Bearer ${LCW_TEST_MISSING}"}\n',
    )
    with pytest.raises(ManifestError, match="environment variable LCW_TEST_MISSING, which is not set"):
        Guest.load(path)
    path = write_guest(tmp_path, '[capabilities.http]\norigins = [{url = "https://x.example", methods = ["TRACE"]}]\n')
    with pytest.raises(ManifestError, match="invalid manifest"):
        Guest.load(path)
    path = write_guest(tmp_path, "")
    with pytest.raises(ManifestError, match="needs a network grant"):
        Guest.load(path)


def test_default_approval_asks_before_a_tool_with_network(tmp_path, server):
    path = write_guest(tmp_path, f'[capabilities.http]\norigins = ["{server.base}"]\n')
    tool = WasmTool.from_manifest(path)
    assert needs_approval_by_default(None, tool)  # type: ignore[arg-type]
    weather = WasmTool.from_manifest(Path(__file__).parents[2] / "guests" / "weather")
    assert not needs_approval_by_default(None, weather)  # type: ignore[arg-type]


def test_cli_allow_http(server, capsys, monkeypatch):
    import io

    from langchain_wasm.cli import main

    frame = json.dumps({"url": f"{server.base}/echo?cli=1"}).encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(frame)))
    assert main(["run", str(FETCH_WAT), "--stdin", "-", "--allow-http", server.base, "--timeout", "5"]) == 0
    head, _, body = capsys.readouterr().out.partition("\n")
    assert json.loads(head)["status"] == 200
    assert json.loads(body)["path"] == "/echo?cli=1"
