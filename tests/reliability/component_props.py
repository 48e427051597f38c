"""Property tests of the component ABI (WIT values <-> JSON), run in a child process.

    python -m tests.reliability.component_props [--examples N] [--json]

wasmtime-py's component C API aborts the whole process on some values (a lone surrogate in a ``char`` did), so
these probes never run inside the pytest process: ``test_properties.py`` runs this module as a child and
checks its exit status and report.

Properties, for every export of the echo component (``echo/``: identity functions over every WIT type with a
JSON form, see ``echo/wit/echo.wit``) and for the calc fixture:

- *round trip*: any JSON value valid for the WIT type comes back equal (f32 rounded to f32, flags in
  declaration order), or, for a value holding NaN or an infinity, the echoed result is refused (``WasmAbiError``:
  JSON cannot carry it), or, for a value the JSON Schema admits but the host must refuse (a lone
  surrogate, an integer too large for a float), a ``WasmArgumentError``;
- *refusal*: a valid value with one node replaced by arbitrary JSON (huge and integral-float numbers, NaN/inf,
  surrogates, near-miss names, wrong shapes) either is still valid and round-trips, or is refused with a
  ``WasmArgumentError`` before the guest runs; nothing else (no other exception, no abort);
- *calc*: ``add`` is u32 addition modulo 2**32; ``apply`` matches s32 arithmetic (wrapping), ``none`` on
  division by zero and a ``WasmTrapError`` (integer overflow) for ``INT_MIN / -1``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wasmtime import component as wc

from langchain_wasm.abi.component import WasmComponent
from langchain_wasm.abi.json_stdio import schema_errors
from langchain_wasm.abi.wit_types import json_schema
from langchain_wasm.errors import WasmAbiError, WasmArgumentError, WasmTrapError
from tests.reliability.fuzz import wasm_tools

HERE = Path(__file__).resolve().parent
CALC = HERE.parent / "fixtures" / "calc" / "calc.wasm"
INTS = {
    wc.U8: (0, 2**8 - 1),
    wc.U16: (0, 2**16 - 1),
    wc.U32: (0, 2**32 - 1),
    wc.U64: (0, 2**64 - 1),
    wc.S8: (-(2**7), 2**7 - 1),
    wc.S16: (-(2**15), 2**15 - 1),
    wc.S32: (-(2**31), 2**31 - 1),
    wc.S64: (-(2**63), 2**63 - 1),
}
F32_MAX = struct.unpack("<f", b"\xff\xff\x7f\x7f")[0]
COUNTS: Counter[str] = Counter()


def build_echo(out_dir: Path, core_wat: str = "core.wat") -> Path:
    """Build the echo component from ``echo/<core_wat>`` and ``echo/wit`` with wasm-tools (``liar.wat`` gives
    the component whose results lie)."""
    tool = wasm_tools()
    stem = Path(core_wat).stem
    core, embedded, out = out_dir / f"{stem}.wasm", out_dir / f"{stem}-embedded.wasm", out_dir / f"{stem}-echo.wasm"
    for cmd in (
        [tool, "parse", str(HERE / "echo" / core_wat), "-o", str(core)],
        [tool, "component", "embed", str(HERE / "echo" / "wit"), str(core), "-o", str(embedded)],
        [tool, "component", "new", str(embedded), "-o", str(out)],
    ):
        subprocess.run(cmd, check=True, capture_output=True)
    return out


# -- strategies from WIT types -------------------------------------------------------------------------------------

_chars = st.characters(exclude_categories=("Cs",))
_any_chars = st.one_of(_chars, st.characters(categories=("Cs",)))


def valid(ty: Any) -> st.SearchStrategy[Any]:
    """JSON values valid for WIT type ``ty`` (the JSON form of ``wit_types``)."""
    t = type(ty)
    if t in INTS:
        lo, hi = INTS[t]
        return st.integers(lo, hi) | st.sampled_from([lo, hi, 0])
    if t is wc.Bool:
        return st.booleans()
    if t is wc.F32:
        return st.floats(width=32, allow_infinity=False) | st.sampled_from([F32_MAX, -F32_MAX, -0.0])
    if t is wc.F64:
        return st.floats() | st.integers(-(2**60), 2**60)
    if t is wc.Char:
        return _chars
    if t is wc.String:
        return st.text(_chars, max_size=20)
    if isinstance(ty, wc.ListType):
        return st.lists(valid(ty.element), max_size=6)
    if isinstance(ty, wc.OptionType):
        return st.none() | valid(ty.payload)
    if isinstance(ty, wc.ResultType):
        ok = valid(ty.ok) if ty.ok is not None else st.none()
        err = valid(ty.err) if ty.err is not None else st.none()
        return st.builds(lambda v: {"ok": v}, ok) | st.builds(lambda v: {"err": v}, err)
    if isinstance(ty, wc.TupleType):
        return st.tuples(*(valid(e) for e in ty.elements)).map(list)
    if isinstance(ty, wc.RecordType):
        return st.fixed_dictionaries({name: valid(fty) for name, fty in ty.fields})
    if isinstance(ty, wc.VariantType):
        return st.one_of(
            *(st.just(name) if cty is None else valid(cty).map(lambda v, n=name: {n: v}) for name, cty in ty.cases)
        )
    if isinstance(ty, wc.EnumType):
        return st.sampled_from(list(ty.names))
    if isinstance(ty, wc.FlagsType):
        return st.lists(st.sampled_from(list(ty.names)), unique=True)
    raise TypeError(f"no strategy for {ty!r}")


def names(ty: Any, out: set[str] | None = None) -> set[str]:
    """Every field, case, enum and flag name in ``ty`` (for near-miss garbage)."""
    out = set() if out is None else out
    if isinstance(ty, wc.RecordType):
        for n, f in ty.fields:
            out.add(n)
            names(f, out)
    elif isinstance(ty, wc.VariantType):
        for n, c in ty.cases:
            out.add(n)
            if c is not None:
                names(c, out)
    elif isinstance(ty, wc.EnumType | wc.FlagsType):
        out.update(ty.names)
    elif isinstance(ty, wc.ListType):
        names(ty.element, out)
    elif isinstance(ty, wc.OptionType):
        names(ty.payload, out)
    elif isinstance(ty, wc.ResultType):
        for part in (ty.ok, ty.err):
            if part is not None:
                names(part, out)
    elif isinstance(ty, wc.TupleType):
        for e in ty.elements:
            names(e, out)
    out.update({"ok", "err"})
    return out


def garbage(words: set[str]) -> st.SearchStrategy[Any]:
    """Arbitrary JSON-like values, biased towards the edges the host must refuse or survive."""
    word = st.sampled_from(sorted(words)) if words else st.text(max_size=4)
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.sampled_from([2**64, -(2**63) - 1, 2**32, -1, 10**400, -(10**400)]),
        st.floats(),
        st.sampled_from([5.0, 2.0**63, 1e39, -0.0, math.nan, math.inf]),
        st.text(_any_chars, max_size=4),
        word,
    )
    return st.recursive(
        scalars,
        lambda c: st.lists(c, max_size=4) | st.dictionaries(word | st.text(max_size=3), c, max_size=3),
        max_leaves=8,
    )


def mutated(ty: Any, words: set[str]) -> st.SearchStrategy[Any]:
    """A valid value of ``ty`` with one node (or a record's key set) replaced by garbage."""

    @st.composite
    def strat(draw: st.DrawFn) -> Any:
        value = draw(valid(ty))
        return _mutate(value, draw, garbage(words))

    return strat()


def _mutate(value: Any, draw: st.DrawFn, junk: st.SearchStrategy[Any]) -> Any:
    if isinstance(value, list) and value and draw(st.booleans()):
        i = draw(st.integers(0, len(value) - 1))
        return [*value[:i], _mutate(value[i], draw, junk), *value[i + 1 :]]
    if isinstance(value, dict) and value:
        op = draw(st.sampled_from(["child", "drop", "add", "replace"]))
        keys = sorted(value)
        if op == "child":
            k = draw(st.sampled_from(keys))
            return {**value, k: _mutate(value[k], draw, junk)}
        if op == "drop":
            k = draw(st.sampled_from(keys))
            return {key: v for key, v in value.items() if key != k}
        if op == "add":
            return {**value, draw(st.text(max_size=4) | st.sampled_from(keys)): draw(junk)}
    if isinstance(value, list) and draw(st.booleans()):
        return [*value, draw(junk)]
    return draw(junk)


# -- expectations --------------------------------------------------------------------------------------------------


def expected(ty: Any, value: Any) -> Any:
    """What the echo of a valid ``value`` should look like after the round trip."""
    if type(ty) in INTS:
        return int(value)  # an integral float (5.0) is an integer for JSON Schema
    if isinstance(ty, wc.F32):
        return struct.unpack("<f", struct.pack("<f", value))[0]
    if isinstance(ty, wc.F64):
        return float(value)
    if isinstance(ty, wc.ListType):
        return [expected(ty.element, v) for v in value]
    if isinstance(ty, wc.OptionType):
        return None if value is None else expected(ty.payload, value)
    if isinstance(ty, wc.ResultType):
        ((tag, payload),) = value.items()
        part = ty.ok if tag == "ok" else ty.err
        return {tag: None if part is None else expected(part, payload)}
    if isinstance(ty, wc.TupleType):
        return [expected(e, v) for e, v in zip(ty.elements, value, strict=True)]
    if isinstance(ty, wc.RecordType):
        return {n: expected(f, value[n]) for n, f in ty.fields}
    if isinstance(ty, wc.VariantType):
        if isinstance(value, str):
            return value
        ((tag, payload),) = value.items()
        return {tag: expected(dict(ty.cases)[tag], payload)}
    if isinstance(ty, wc.FlagsType):
        order = list(ty.names)
        return sorted(value, key=order.index)
    return value


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def host_must_refuse(value: Any) -> bool:
    """Values the JSON Schema admits that the host refuses on purpose (UnsupportedValueError)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) > 2**1023  # too large for a float (only reachable through f32/f64 params)
    if isinstance(value, list):
        return any(host_must_refuse(v) for v in value)
    if isinstance(value, dict):
        return any(host_must_refuse(v) for v in value.values())
    return False


def non_finite(value: Any) -> bool:
    """A NaN or infinite float anywhere in ``value``: the echo returns it, and the host refuses such a result
    (JSON cannot carry it) with ``WasmAbiError``."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(non_finite(v) for v in value)
    if isinstance(value, dict):
        return any(non_finite(v) for v in value.values())
    return False


# -- the properties ------------------------------------------------------------------------------------------------


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def check_echo(comp: WasmComponent, export: str, examples: int) -> None:
    func = comp.function(export)
    ((_, ty),) = func.params
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(json_schema(ty))
    words = names(ty)

    def roundtrip(value: Any, *, schema_valid: bool | None = None) -> None:
        ok = not schema_errors(validator, value) if schema_valid is None else schema_valid
        try:
            got = comp.call_json(export, {"x": value}).value
        except WasmArgumentError:
            if ok and not host_must_refuse(value):
                raise AssertionError(f"{export}: a valid value was refused: {value!r}") from None
            COUNTS[f"{export}: refused"] += 1
            return
        except WasmAbiError:
            if not (ok and non_finite(value)):
                raise
            COUNTS[f"{export}: non-finite result refused"] += 1
            return
        if not ok:
            raise AssertionError(f"{export}: an invalid value was accepted: {value!r} -> {got!r}")
        want = expected(ty, value)
        if not same(got, want):
            raise AssertionError(f"{export}: {value!r} came back as {got!r}, expected {want!r}")
        COUNTS[f"{export}: round trip"] += 1

    @_settings(examples)
    @given(valid(ty))
    def valid_values(value: Any) -> None:
        roundtrip(value, schema_valid=True)

    @_settings(examples)
    @given(mutated(ty, words))
    def mutated_values(value: Any) -> None:
        roundtrip(value)

    valid_values()
    mutated_values()


def check_calc(comp: WasmComponent, examples: int) -> None:
    u32 = st.integers(0, 2**32 - 1)
    s32 = st.integers(-(2**31), 2**31 - 1) | st.sampled_from([-(2**31), -1, 0, 2**31 - 1])

    def wrap32(x: int) -> int:
        x &= 0xFFFFFFFF
        return x - 2**32 if x >= 2**31 else x

    @_settings(examples)
    @given(u32, u32)
    def add(a: int, b: int) -> None:
        assert comp.call_json("add", {"a": a, "b": b}).value == (a + b) % 2**32
        COUNTS["calc.add"] += 1

    @_settings(examples)
    @given(st.sampled_from(["plus", "minus", "divide"]), s32, s32)
    def apply(op: str, a: int, b: int) -> None:
        COUNTS["calc.apply"] += 1
        if op == "divide" and a == -(2**31) and b == -1:
            code = None
            try:
                comp.call_json("apply", {"o": op, "a": a, "b": b})
            except WasmTrapError as exc:
                code = exc.trap_code
            if code != "integer_overflow":
                raise AssertionError(f"INT_MIN / -1 did not trap with integer_overflow: {code}")
            return
        got = comp.call_json("apply", {"o": op, "a": a, "b": b}).value
        if op == "plus":
            want: int | None = wrap32(a + b)
        elif op == "minus":
            want = wrap32(a - b)
        else:
            quotient = abs(a) // abs(b) if b else 0  # i32.div_s truncates toward zero
            want = None if b == 0 else quotient if (a < 0) == (b < 0) else -quotient
        assert got == want, (op, a, b, got, want)

    @_settings(examples)
    @given(st.dictionaries(st.sampled_from(["o", "a", "b", "x"]), garbage({"plus", "minus", "divide"}), max_size=4))
    def refused(args: dict[str, Any]) -> None:
        COUNTS["calc.apply garbage"] += 1
        with contextlib.suppress(WasmArgumentError, WasmTrapError):
            comp.call_json("apply", args)

    add()
    apply()
    refused()


def run(examples: int) -> dict[str, Any]:
    COUNTS.clear()
    with tempfile.TemporaryDirectory(prefix="lcw-echo-") as tmp:
        echo = WasmComponent.from_file(build_echo(Path(tmp)))
        for export in sorted(echo.functions):
            check_echo(echo, export, examples)
    check_calc(WasmComponent.from_file(CALC), examples)
    return {
        "examples_per_property": examples,
        "cases": sum(COUNTS.values()),
        "by_property": dict(sorted(COUNTS.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=int(os.environ.get("LCW_PROPERTY_EXAMPLES", "100")))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.examples)
    print(json.dumps(report, indent=1) if args.json else f"component properties: {report['cases']} cases, all held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
