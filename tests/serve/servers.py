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


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL server binaries (``apt-get install -y postgresql``), if installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


class Postgres:
    """A throwaway PostgreSQL cluster: ``initdb`` in a temp dir, the server on 127.0.0.1 and a unix socket in
    that dir, run as the ``postgres`` user when we are root (the server refuses root), stopped by PID."""

    def __init__(self, root: Path) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql")
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.user: str | None = "postgres" if os.geteuid() == 0 else None
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = root / "postgres.log"
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def _own(self) -> None:
        if self.user is not None:
            shutil.chown(self.root, self.user)
            self.root.chmod(0o700)

    def start(self, timeout_s: float = 60.0) -> None:
        self._own()
        if not self.data.exists():
            subprocess.run(
                [str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                check=True,
                capture_output=True,
                user=self.user,
                cwd=self.root,
                timeout=120,
            )
        cmd = [str(self.bindir / "postgres"), "-D", str(self.data), "-h", "127.0.0.1", "-p", str(self.port)]
        cmd += ["-k", str(self.root), "-c", "fsync=off", "-c", "max_connections=50"]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, user=self.user, cwd=self.root)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.proc.returncode}: {self.log.read_text()[-3000:]}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError(f"postgres did not listen within {timeout_s:g} s")
        self._wait_ready(deadline)

    def _wait_ready(self, deadline: float) -> None:
        import psycopg

        while True:
            try:
                with psycopg.connect(self.dsn, connect_timeout=2) as conn:
                    conn.execute("select 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None:
            stop_pid(self.proc, signal.SIGINT)  # "fast" shutdown
            self.proc = None
