"""The quadratic guests (Rust core module and Rust component) and the JavaScript component that uses every
WIT type, through their manifests: schemas derived from WIT, JSON-like calls, references."""

from __future__ import annotations

import math
import random
import statistics
import subprocess
import sys

import pytest

from langchain_wasm.errors import WasmArgumentError
from tests.guests.conftest import GUESTS


@pytest.fixture(scope="module")
def quadratic(load_guest):
    return load_guest("quadratic")


@pytest.fixture(scope="module")
def qcomp(load_guest):
    return load_guest("quadratic_component")


@pytest.fixture(scope="module")
def measure(load_guest):
    return load_guest("typed_component")


def _roots(a: float, b: float, c: float) -> list[float]:
    d = b * b - 4 * a * c
    if d < 0:
        return []
    return sorted({(-b - math.sqrt(d)) / (2 * a), (-b + math.sqrt(d)) / (2 * a)})


@pytest.mark.parametrize(("a", "b", "c"), [(1, -3, 2), (2, 4, -6), (1, 2, 1), (1, 0, 1), (0.5, -1, -4), (3, 1, 7)])
def test_quadratic_core_matches_the_formula(quadratic, a, b, c):
    r = quadratic.call({"a": a, "b": b, "c": c}).value
    want = _roots(a, b, c)
    assert r["count"] == len(want)
    if want:
        assert r["x1"] == pytest.approx(want[0])
        assert r["x2"] == pytest.approx(want[-1])
    else:
        assert math.isnan(r["x1"])


def test_quadratic_core_edge_cases(quadratic):
    assert quadratic.call({"a": 0, "b": 2, "c": -4}).value == {"count": 1, "x1": 2.0, "x2": 2.0}  # linear
    assert quadratic.call({"a": 0, "b": 0, "c": 1}).value["count"] == -1
    big = quadratic.call({"a": 1e300, "b": -3e300, "c": 2e300}).value  # no intermediate overflow
    assert (big["count"], big["x1"], big["x2"]) == (2, pytest.approx(1.0), pytest.approx(2.0))
    rng = random.Random(3)
    for _ in range(300):
        a, b, c = (rng.uniform(-100, 100) for _ in range(3))
        r = quadratic.call({"a": a, "b": b, "c": c}).value
        assert r["count"] == len(_roots(a, b, c))


def test_quadratic_component_schema_comes_from_wit(qcomp):
    out = qcomp.output_schema
    ok = out["oneOf"][0]["properties"]["ok"]
    assert set(ok["properties"]) == {"solution", "real-count", "discriminant", "vertex"}
    assert ok["properties"]["real-count"] == {
        "anyOf": [{"type": "integer", "minimum": 0, "maximum": 255}, {"type": "null"}]
    }
    cases = ok["properties"]["solution"]["oneOf"]
    assert {"const": "all-real"} in cases
    assert "numerically stable" in qcomp.input_schema["description"]  # the WIT doc comment


def test_quadratic_component_answers(qcomp):
    two = qcomp.call({"a": 1, "b": -3, "c": 2}).value["ok"]
    assert two["solution"] == {"two-real": [1.0, 2.0]}
    assert two["real-count"] == 2
    assert two["discriminant"] == 1.0
    assert two["vertex"] == [1.5, -0.25]
    assert qcomp.call({"a": 1, "b": 2, "c": 5}).value["ok"]["solution"] == {"complex-pair": {"re": -1.0, "im": 2.0}}
    assert qcomp.call({"a": 1, "b": 2, "c": 1}).value["ok"]["solution"] == {"one-real": -1.0}
    assert qcomp.call({"a": 0, "b": 0, "c": 0}).value["ok"]["solution"] == "all-real"
    assert qcomp.call({"a": 0, "b": 0, "c": 3}).value["ok"] == {
        "solution": "no-solution",
        "real-count": 0,
        "discriminant": None,
        "vertex": None,
    }


# --- typed_component: every WIT type ---------------------------------------------------------------------

LENGTH = {"meter": 1e6, "kilometer": 1e9, "centimeter": 1e4, "millimeter": 1e3, "inch": 25400, "foot": 304800}


def sample(value, unit="meter", **kw):
    base = {
        "value": value,
        "unit": unit,
        "uncertainty": 0.0,
        "sensor": 1,
        "timestamp-ms": 0,
        "quality": 200,
        "calibrated": True,
        "label": None,
    }
    base.update(kw)
    return base


def options(**kw):
    base = {
        "target": "meter",
        "statistics": ["mean", "median", "stddev", "range", "total"],
        "outliers": "keep",
        "min-quality": None,
        "calibrated-only": False,
        "bucket-width": None,
        "decimals": 2,
        "decimal-separator": ".",
    }
    base.update(kw)
    return base


def fnv1a(text: str) -> int:
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def test_measure_schema_covers_every_wit_type(measure):
    props = measure.input_schema["properties"]
    item = props["samples"]["items"]["properties"]
    assert item["sensor"] == {"type": "integer", "minimum": 0, "maximum": 65535}
    assert item["timestamp-ms"] == {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}
    assert item["quality"]["maximum"] == 255
    assert item["uncertainty"]["type"] == "number"
    assert item["calibrated"] == {"type": "boolean"}
    assert item["label"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert "kelvin" in item["unit"]["enum"]
    opts = props["options"]["properties"]
    assert opts["statistics"]["items"]["enum"] == ["mean", "median", "stddev", "range", "total"]
    assert opts["statistics"]["uniqueItems"] is True
    assert opts["decimal-separator"] == {"type": "string", "minLength": 1, "maxLength": 1}
    assert {"const": "keep"} in opts["outliers"]["oneOf"]
    clamp = next(c for c in opts["outliers"]["oneOf"] if "clamp" in c.get("properties", {}))
    assert clamp["properties"]["clamp"]["prefixItems"] == [{"type": "number"}, {"type": "number"}]
    assert props["samples"]["description"].startswith("The measurements")


def test_measure_summary(measure):
    values = [3.0, 1.0, 4.0, 1.5, 5.0]
    samples = [
        sample(v, sensor=10 - i, **{"timestamp-ms": 1000 * i}, label="lab" if i % 2 else None)
        for i, v in enumerate(values)
    ]
    s = measure.call({"samples": samples, "options": options(**{"bucket-width": 2.0, "decimal-separator": ","})})
    got = s.value["ok"]
    assert got["count"] == 5
    assert got["computed"] == ["mean", "median", "stddev", "range", "total"]
    assert got["mean"] == pytest.approx(statistics.fmean(values))
    assert got["median"] == 3.0
    assert got["stddev"] == pytest.approx(statistics.pstdev(values))
    assert got["range"] == [1.0, 5.0]
    assert got["total"] == 14.5
    assert got["trend"] == 1
    assert got["change-percent"] == 67
    assert got["time-range"] == [0, 4000]
    assert got["span-ms"] == 4000
    assert got["histogram"] == [[0, 2], [1, 1], [2, 2]]
    assert got["sensors"] == [6, 7, 8, 9, 10]
    assert got["labels"] == ["lab"]
    assert "mean 2,90" in got["report"]
    assert got["checksum"] == fnv1a(got["report"])


def test_measure_conversion_filters_and_clamps(measure):
    samples = [
        sample(100, "centimeter"),
        sample(2, "foot", quality=10),
        sample(3, "inch", calibrated=False),
        sample(5, "meter"),
    ]
    opts = options(**{"min-quality": 50, "outliers": {"clamp": [0.5, 2.0]}})
    got = measure.call({"samples": samples, "options": opts}).value["ok"]
    # 100 cm = 1 m stays; 2 ft is dropped (quality 10 < 50); 3 in = 0.0762 m is clamped up to 0.5; 5 m down to 2
    assert (got["count"], got["dropped"], got["clamped"]) == (3, 1, 2)
    assert got["range"] == [0.5, 2.0]
    assert got["all-calibrated"] is False


def test_measure_errors_are_tagged_variants(measure):
    assert measure.call({"samples": [], "options": options()}).value == {"err": "no-samples"}
    mixed = [sample(1), sample(1, "kilogram")]
    assert measure.call({"samples": mixed, "options": options()}).value == {"err": {"incompatible-unit": 1}}
    bad = measure.call({"samples": [sample(1)], "options": options(decimals=13)}).value
    assert bad == {"err": {"invalid-option": "decimals must be at most 12"}}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"sensor": 70000}, "greater than the maximum of 65535"),
        ({"unit": "furlong"}, "is not one of"),
        ({"quality": -1}, "less than the minimum of 0"),
        ({"timestamp-ms": 2**63}, "greater than the maximum"),
    ],
)
def test_measure_rejects_out_of_range_values_before_they_can_wrap(measure, patch, message):
    with pytest.raises(WasmArgumentError, match=message):
        measure.call({"samples": [sample(1, **patch)], "options": options()})


def test_measure_rejects_bad_flags_variants_and_chars(measure):
    for opts, message in [
        (options(statistics=["mean", "mean"]), "non-unique"),
        (options(statistics=["mode"]), "is not one of"),
        (options(outliers={"drop-below": 1.0}), "is not valid under any of the given schemas"),
        (options(**{"decimal-separator": "::"}), "is too long"),
    ]:
        with pytest.raises(WasmArgumentError, match=message):
            measure.call({"samples": [sample(1)], "options": opts})


def test_lone_surrogate_char_is_refused_instead_of_aborting_the_process():
    # wasmtime 49's C API aborts the whole process on such a char; run in a child so a regression cannot take
    # the test session down with it.
    code = (
        "import sys; sys.path.insert(0, '.');"
        "from tests.guests.test_components import sample, options;"
        "from langchain_wasm.guest.guest import Guest;"
        "from langchain_wasm.errors import WasmArgumentError;"
        f"g = Guest.load({str(GUESTS / 'typed_component')!r});"
        "\ntry:\n    g.call({'samples': [sample(1)], 'options': options(**{'decimal-separator': '\\ud800'})})"
        "\nexcept WasmArgumentError as e:\n    print('refused:', e)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=GUESTS.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "refused:" in out.stdout
    assert "lone surrogate" in out.stdout


def test_measure_convert_through_a_tool_with_kebab_case_params(measure):
    from langchain_wasm import WasmTool

    tool = WasmTool.from_module(measure.module, export="api#convert", name="convert_units")
    assert list(tool.args_schema.model_fields) == ["value", "from_unit", "to_unit"]
    msg = tool.invoke(
        {
            "type": "tool_call",
            "id": "1",
            "name": tool.name,
            "args": {"value": 1, "from_unit": "mile", "to_unit": "kilometer"},
        }
    )
    assert msg.artifact["result"] == {"ok": pytest.approx(1.609344)}
    c_to_f = tool.invoke({"value": 100, "from_unit": "celsius", "to_unit": "fahrenheit"})
    assert c_to_f == '{"ok": 212.0}'
    err = tool.invoke({"value": 1, "from_unit": "inch", "to_unit": "kilogram"})
    assert err == '{"err": "cannot convert inch (length) to kilogram (mass)"}'
