"""What a running shell command sees (``Ctx``), capped output buffers, and the shell's control signals."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ._fs import SandboxFS, normalize

__all__ = ["CommandTimeout", "Ctx", "ShellExit", "Sink"]


class CommandTimeout(Exception):  # noqa: N818 - a control-flow signal
    """The command ran past its deadline."""


class ShellExit(Exception):  # noqa: N818 - a control-flow signal
    """``exit N``: the shell stops with status N."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Sink:
    """A capped byte buffer (``None`` cap: discard everything, like ``/dev/null``)."""

    def __init__(self, cap: int | None) -> None:
        self.cap = cap
        self.data = bytearray()
        self.truncated = False

    def write(self, data: bytes) -> None:
        if self.cap is None:
            return
        room = self.cap - len(self.data)
        if len(data) > room:
            self.truncated = True
            data = data[: max(room, 0)]
        self.data += data


@dataclass(slots=True)
class Ctx:
    """What a running command sees: files, cwd, variables, stdin, where its output goes, the deadline."""

    fs: SandboxFS
    cwd: str
    env: dict[str, str]
    out: Sink
    err: Sink
    deadline: float
    stdin: bytes = b""
    status: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    def abs(self, path: str) -> str:
        return normalize(path, self.cwd)

    def check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            raise CommandTimeout

    def child(self, **changes: object) -> Ctx:
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return Ctx(**values)
