"""Real local servers for the serving tests: ``langgraph dev`` and a throwaway PostgreSQL, both on 127.0.0.1,
started by the test and stopped by PID (always, also when the test fails)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_pid(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace_s: float = 30.0) -> None:
    """Stop the process we started: ``sig``, then SIGKILL after ``grace_s``."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, sig)
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)


class DevServer:
    """``langgraph dev`` serving a copy of ``graphs/`` from ``workdir`` (its ``.langgraph_api`` lives there)."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / "server.log"

    @classmethod
    def copy_graphs(cls, root: Path, env: dict[str, str]) -> DevServer:
        workdir = root / "graphs"
        shutil.copytree(
            REPO / "graphs", workdir, ignore=shutil.ignore_patterns(".env", ".langgraph_api", "__pycache__")
        )
        return cls(workdir, env)

    def start(self, timeout_s: float = 180.0) -> None:
        cli = Path(sys.executable).with_name("langgraph")
        cmd = [str(cli), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"langgraph dev exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.url + "/ok", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"langgraph dev did not answer within {timeout_s:g} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_pid(self.proc)
            self.proc = None

    def tail(self, n: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:]) if self.log.exists() else ""

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
