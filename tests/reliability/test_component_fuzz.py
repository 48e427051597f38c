"""Component fuzzing (random WIT worlds whose code answers with random bytes, see ``component_fuzz.py``) and the
regressions it found. ``LCW_FUZZ_COMPONENTS`` (default 40) sets the size; ``make fuzz`` runs more."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from langchain_wasm.abi.component import WasmComponent
from langchain_wasm.errors import WasmAbiError, WasmArgumentError
from tests.reliability import component_fuzz, fuzz
from tests.reliability.figures import record

COMPONENTS = int(os.environ.get("LCW_FUZZ_COMPONENTS", "40"))
SEED = int(os.environ.get("LCW_FUZZ_SEED", "0"))


def test_fuzzed_components_end_in_a_result_or_a_typed_error():
    data = component_fuzz.run(COMPONENTS, seed=SEED, workers=min(2, os.cpu_count() or 1)).as_dict()
    record("component_fuzz", data)
    assert data["findings"] == [], data["findings"]
    assert data["modules"] == COMPONENTS
    stages = data["by_stage"]
    # not degenerate: components load, results are lifted and checked, traps and refusals happen
    assert stages["load"].get("ok", 0) == COMPONENTS
    assert stages["call"].get("ok", 0) > COMPONENTS // 2
    assert stages["call"].get("WasmTrapError", 0) > 0
    assert stages["bad-call"] == {"WasmArgumentError": sum(stages["bad-call"].values())}
    assert stages["tool"].get("ok", 0) > 0
    assert stages["tool"].get("error-message", 0) > 0


def _component(tmp_path: Path, wit: str, bodies: dict[str, str] | None = None) -> WasmComponent:
    """A component for ``wit`` whose exports trap, or run the given WAT body (by export-name suffix)."""
    tool = fuzz.wasm_tools()
    (tmp_path / "w.wit").write_text(wit)
    embed = [tool, "component", "embed", "--dummy", str(tmp_path / "w.wit"), "-t", "-o", str(tmp_path / "c.wat")]
    subprocess.run(embed, check=True)
    wat = (tmp_path / "c.wat").read_text()
    for suffix, body in (bodies or {}).items():
        idx = re.search(rf'\(export "[^"]*\|{re.escape(suffix)}" \(func (\d+)\)\)', wat).group(1)  # type: ignore[union-attr]
        wat = re.sub(rf"(\(func \(;{idx};\) [^\n]*\n)    unreachable\n", rf"\g<1>    {body}\n", wat)
    (tmp_path / "c.wat").write_text(wat)
    subprocess.run([tool, "parse", str(tmp_path / "c.wat"), "-o", str(tmp_path / "c.wasm")], check=True)
    subprocess.run([tool, "component", "new", str(tmp_path / "c.wasm"), "-o", str(tmp_path / "k.wasm")], check=True)
    return WasmComponent.from_bytes((tmp_path / "k.wasm").read_bytes(), name="probe")


@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_a_non_finite_float_result_is_refused(tmp_path, value):
    comp = _component(tmp_path, "package t:f;\nworld w { export f: func() -> f32; export g: func() -> f64; }\n",
                      {"f": f"f32.const {value}", "g": f"f64.const {value}"})  # fmt: skip
    for export in ("f", "g"):
        with pytest.raises(WasmAbiError, match="JSON cannot carry"):
            comp.call_json(export, {})


def test_a_finite_float_result_still_comes_back(tmp_path):
    comp = _component(tmp_path, "package t:f;\nworld w { export f: func() -> f32; }\n", {"f": "f32.const 2.5"})
    assert comp.call_json("f", {}).value == 2.5


AMBIGUOUS = """package t:v;
world w {
  variant inner { yes(bool), nothing }
  variant outer { first(inner), second(char) }
  variant num-or-flag { number(u8), flag(bool) }
  export f: func(v: outer) -> u8;
  export g: func(v: num-or-flag) -> u8;
}
"""


def test_values_wasmtime_py_would_misroute_are_refused_not_mangled(tmp_path):
    # wasmtime-py passes these variants untagged and picks the first case whose Python class matches: the
    # payload-less `nothing` makes `first` match everything, and True is an int, so `flag` would become number(1).
    comp = _component(tmp_path, AMBIGUOUS, {"f": "i32.const 7", "g": "i32.const 9"})
    with pytest.raises(WasmArgumentError, match="earlier case 'first'"):
        comp.call_json("f", {"v": {"second": "x"}})
    with pytest.raises(WasmArgumentError, match="earlier case 'number'"):
        comp.call_json("g", {"v": {"flag": True}})
    # the cases wasmtime-py does route right still work
    assert comp.call_json("f", {"v": {"first": {"yes": True}}}).value == 7
    assert comp.call_json("g", {"v": {"number": 3}}).value == 9
