"""Resource limits for one call: instruction budget, wall-clock deadline, memory, and captured output."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

__all__ = ["Limits", "MIB"]

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """What one call may consume. Defaults follow the advice for tools of Ma Haokun's article "WebAssembly
    sandboxing for AI agents" (in Chinese, January 2026), which this project implements: 100 ms and 256 MiB.

    Attributes:
        timeout_s: wall-clock deadline for the whole call (instantiation included), enforced by epoch
            interruption; a guest sleep is cut off at the deadline too. ``None`` disables it.
        fuel: instruction budget (wasmtime fuel units, roughly one per wasm instruction). ``None`` means
            unlimited; the deadline still applies.
        memory_bytes: cap on each linear memory; ``memory.grow`` past it fails (the guest sees out-of-memory)
            and a module whose minimum exceeds it does not instantiate. A core module has one memory; a
            component may have several (at most ``memories``).
        table_elements: cap on the elements of each table.
        instances: cap on instances per store (a core module needs one, a component one per inner module).
        tables: cap on tables per store.
        memories: cap on linear memories per store.
        stdout_bytes: cap on captured stdout; writing more stops the guest with ``WasmOutputLimitError``.
        stderr_bytes: cap on captured stderr; same rule.
        workspace_bytes: most bytes the call's writable preopens may hold (regular files, links not followed),
            measured when the call starts and enforced while the guest writes: the write that would pass it
            fails with ``EDQUOT`` ("Quota exceeded"), nothing is written, and the guest goes on. 1 GiB, as the
            Python sandbox's workspace; ``None`` is no bound. Calls without a writable preopen ignore it.
        workspace_entries: most files, directories and links they may hold, enforced the same way (a create,
            ``mkdir``, symlink or hard link past it fails with ``EDQUOT``). 10,000; ``None`` is no bound.
    """

    timeout_s: float | None = 0.1
    fuel: int | None = 1_000_000_000
    memory_bytes: int = 256 * MIB
    table_elements: int = 100_000
    instances: int = 64
    tables: int = 64
    memories: int = 8
    stdout_bytes: int = 1 * MIB
    stderr_bytes: int = 256 * 1024
    workspace_bytes: int | None = 1024 * MIB
    workspace_entries: int | None = 10_000
    _explicit: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    """The fields given to the constructor (the others took their defaults); see ``over``."""

    def __post_init__(self) -> None:
        if self.timeout_s is not None and not self.timeout_s > 0:
            raise ValueError(f"Limits.timeout_s must be > 0 or None, got {self.timeout_s!r}")
        if self.fuel is not None and not 0 < self.fuel < 2**63:
            raise ValueError(f"Limits.fuel must be in 1..2**63-1 or None, got {self.fuel!r}")
        for name in ("memory_bytes", "table_elements", "instances", "tables", "memories"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive int, got {value!r}")
        for name in ("stdout_bytes", "stderr_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"Limits.{name} must be an int >= 0, got {value!r}")
        for name in ("workspace_bytes", "workspace_entries"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ValueError(f"Limits.{name} must be an int >= 0 or None, got {value!r}")

    @classmethod
    def unlimited_cpu(cls, **overrides: object) -> Limits:
        """Limits without a fuel budget or deadline (memory and output caps stay). For trusted, long jobs."""
        values: dict[str, object] = {"timeout_s": None, "fuel": None}
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def explicit(self) -> frozenset[str]:
        """Names of the fields given to the constructor (not left at the class defaults)."""
        return self._explicit

    def over(self, defaults: Limits) -> Limits:
        """These limits with every field the caller did not set taken from ``defaults``.

        ``WasmPythonSandbox(limits=Limits(timeout_s=3))`` keeps the sandbox's own memory cap and fuel (none)
        instead of the tool defaults a bare ``Limits()`` carries.
        """
        if self._explicit >= _FIELDS:
            return self
        return replace(defaults, **{name: getattr(self, name) for name in self._explicit})


_NAMES = tuple(f.name for f in fields(Limits) if f.init)
_FIELDS = frozenset(_NAMES)
_generated_init = Limits.__init__


def _init(self: Limits, *args: Any, **kwargs: Any) -> None:
    _generated_init(self, *args, **kwargs)
    given = frozenset(kwargs) if not args else frozenset(_NAMES[: len(args)]) | frozenset(kwargs)
    object.__setattr__(self, "_explicit", given)


Limits.__init__ = _init  # type: ignore[method-assign]
