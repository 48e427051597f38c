"""Stdio for calls with preopened directories, where wasmtime's own fd_read/fd_write must stay linked.

stdout/stderr go to pipes drained by a reader thread that keeps at most ``cap`` bytes and discards the rest,
flagging the breach (the guest is then reported as stopped for output, and the flood costs neither memory nor
disk while fuel and the deadline bound it). stdin is an unlinked temporary file holding the call's bytes.
"""

from __future__ import annotations

import contextlib
import os
import threading

import wasmtime

__all__ = ["OutputPump", "attach_stdio"]


class OutputPump:
    """Reads one pipe to EOF on a daemon thread, keeping the first ``cap`` bytes."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.overflowed = False
        self._read_fd, self.write_fd = os.pipe()
        self._thread = threading.Thread(target=self._drain, name="langchain-wasm-stdio", daemon=True)
        self._thread.start()

    @property
    def path(self) -> str:
        """A path wasmtime can open to write into the pipe."""
        return f"/proc/self/fd/{self.write_fd}" if os.path.isdir("/proc/self/fd") else f"/dev/fd/{self.write_fd}"

    def close_write_end(self) -> None:
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def _drain(self) -> None:
        try:
            while True:
                chunk = os.read(self._read_fd, 1 << 16)
                if not chunk:
                    return
                room = self.cap - len(self.data)
                if len(chunk) > room:
                    self.overflowed = True
                    self.data += chunk[: max(room, 0)]
                else:
                    self.data += chunk
        finally:
            os.close(self._read_fd)

    def finish(self, timeout: float = 10.0) -> bytes:
        """Wait for EOF (the store that held the write end is closed) and return the kept bytes."""
        self.close_write_end()
        self._thread.join(timeout)
        return bytes(self.data)


def attach_stdio(
    cfg: wasmtime.WasiConfig, *, stdin: bytes | None, stdout_cap: int | None, stderr_cap: int | None
) -> tuple[OutputPump | None, OutputPump | None]:
    """Wire stdin/stdout/stderr of ``cfg``; ``None`` leaves that stream unconnected (empty / discarded)."""
    if stdin:
        import tempfile  # only for stdin through a file (it imports shutil, bz2, lzma: ~5 ms of a cold start)

        fd, path = tempfile.mkstemp(prefix="lcw-stdin-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(stdin)
            cfg.stdin_file = path  # opened now, so the file can go at once
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
    pumps: list[OutputPump | None] = []
    for cap, stream in ((stdout_cap, "stdout_file"), (stderr_cap, "stderr_file")):
        if cap is None:
            pumps.append(None)
            continue
        pump = OutputPump(cap)
        try:
            setattr(cfg, stream, pump.path)
        finally:
            pump.close_write_end()  # wasmtime holds its own handle; EOF comes when the store is closed
        pumps.append(pump)
    return pumps[0], pumps[1]
