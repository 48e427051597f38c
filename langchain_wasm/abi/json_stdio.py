"""The json-stdio calling convention: a WASI command reads one JSON object on stdin and writes one JSON value
on stdout; a non-zero exit with a message on stderr is the guest refusing the input (see docs/guests.md).

Input is validated against the declared JSON Schema before the guest runs, output after it ran; output that
is not valid JSON or does not match its schema is a ``WasmAbiError`` and is never passed on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jsonschema
from jsonschema import Draft202012Validator

from langchain_wasm.errors import WasmAbiError, WasmArgumentError, WasmGuestError

if TYPE_CHECKING:
    from langchain_wasm.runtime.capabilities import Capabilities
    from langchain_wasm.runtime.limits import Limits
    from langchain_wasm.runtime.module import WasmModule
    from langchain_wasm.runtime.result import CallResult

__all__ = ["JsonStdioSpec", "MAX_JSON_DEPTH", "loads_guest_json", "schema_errors"]

_MAX_MESSAGES = 5

#: Deepest nesting of arrays/objects accepted in guest JSON output. Deeper values would overflow Python's
#: recursion limit later (schema validation, serialization for the model or a checkpoint), so they are refused
#: at the boundary as a broken calling convention.
MAX_JSON_DEPTH = 64


def _too_deep(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, list | dict))
    return False


def _no_constant(name: str) -> Any:
    raise ValueError(f"it contains {name}, which is not JSON")


def loads_guest_json(data: bytes) -> Any:
    """Parse JSON written by a guest. Raises ``ValueError`` (with a readable reason) for anything that is not
    UTF-8 JSON nested at most ``MAX_JSON_DEPTH`` levels, including integers too long to convert and the
    ``NaN``/``Infinity`` that Python's parser would otherwise accept (they break strict JSON consumers later)."""
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(f"it is nested more than {MAX_JSON_DEPTH} levels deep") from None
    if isinstance(value, list | dict) and _too_deep(value, MAX_JSON_DEPTH):
        raise ValueError(f"it is nested more than {MAX_JSON_DEPTH} levels deep")
    return value


def schema_errors(validator: Draft202012Validator, value: Any) -> list[str]:
    """Readable schema violations, at most a few, each with its JSON path (``$.a[0].b: ...``)."""
    out = []
    try:
        errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
    except RecursionError:
        return ["$: the value is nested too deeply to validate"]
    for err in errors[:_MAX_MESSAGES]:
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.path)
        out.append(f"{path}: {err.message}")
    return out


@dataclass(frozen=True)
class JsonStdioSpec:
    """The schemas of a json-stdio guest. Both schemas are checked to be valid JSON Schema on creation."""

    input_schema: Mapping[str, Any]
    output_schema: Mapping[str, Any]
    _input: Draft202012Validator = field(init=False, repr=False, compare=False)
    _output: Draft202012Validator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for label, schema in (("input_schema", self.input_schema), ("output_schema", self.output_schema)):
            try:
                Draft202012Validator.check_schema(dict(schema))
            except jsonschema.SchemaError as exc:
                raise ValueError(f"{label} is not a valid JSON Schema: {exc.message}") from None
        object.__setattr__(self, "_input", Draft202012Validator(dict(self.input_schema)))
        object.__setattr__(self, "_output", Draft202012Validator(dict(self.output_schema)))

    def validate_input(self, arguments: Any) -> None:
        problems = schema_errors(self._input, arguments)
        if problems:
            raise WasmArgumentError("arguments do not match the input schema: " + "; ".join(problems))

    def call(
        self,
        module: WasmModule,
        arguments: Mapping[str, Any],
        *,
        limits: Limits | None = None,
        capabilities: Capabilities | None = None,
    ) -> CallResult:
        """Run ``module`` with ``arguments`` as JSON on stdin; ``result.value`` is the validated JSON output."""
        self.validate_input(arguments)
        try:
            stdin = json.dumps(arguments, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (ValueError, TypeError, RecursionError) as exc:
            raise WasmArgumentError(f"arguments cannot be sent as JSON: {exc}") from None
        result = module.run(stdin=stdin, limits=limits, capabilities=capabilities)
        if result.exit_code != 0:
            lines = [ln.strip() for ln in result.stderr_text().splitlines() if ln.strip()]
            reason = lines[-1][:500] if lines else "no message on stderr"
            raise WasmGuestError(
                f"{module.name} refused the input (exit status {result.exit_code}): {reason}",
                code=result.exit_code,
                metrics=result.metrics,
                stdout=result.stdout,
                stderr=result.stderr,
            )
        try:
            value = loads_guest_json(result.stdout)
        except ValueError as exc:
            raise WasmAbiError(
                f"{module.name} wrote output that is not JSON ({exc})",
                metrics=result.metrics,
                stdout=result.stdout,
                stderr=result.stderr,
            ) from None
        problems = schema_errors(self._output, value)
        if problems:
            raise WasmAbiError(
                f"{module.name} wrote output that breaks its declared output schema: " + "; ".join(problems),
                metrics=result.metrics,
                stdout=result.stdout,
                stderr=result.stderr,
            )
        return type(result)(value, result.exit_code, result.stdout, result.stderr, result.metrics)
