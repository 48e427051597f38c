"""Module fuzzing (seeded ``wasm-tools smith`` modules, a third of them byte-mutated) through load, inspection,
tool-schema derivation and calls under tight limits, in supervised child processes: zero crashes, hangs and
untyped exceptions. ``LCW_FUZZ_MODULES`` (default 300) and ``LCW_FUZZ_SEED`` set the run; ``make fuzz`` runs
thousands."""

from __future__ import annotations

import os

from tests.reliability import fuzz
from tests.reliability.figures import record

MODULES = int(os.environ.get("LCW_FUZZ_MODULES", "300"))
SEED = int(os.environ.get("LCW_FUZZ_SEED", "0"))


def test_fuzzed_modules_end_in_a_result_or_a_typed_error():
    report = fuzz.run(MODULES, seed=SEED, workers=min(2, os.cpu_count() or 1))
    data = report.as_dict()
    record("fuzz", data)
    assert data["findings"] == [], data["findings"]
    assert data["modules"] == MODULES, data
    # the corpus is not degenerate: modules load, get called, trap, refuse arguments, derive tool schemas
    stages = data["by_stage"]
    assert stages["load"].get("ok", 0) > MODULES // 3
    assert stages["load"].get("WasmLoadError", 0) > 0
    assert stages["call"].get("ok", 0) > 0
    assert sum(v for k, v in stages["call"].items() if k != "ok") > 0
    assert stages["tool-schema"].get("ok", 0) > 0
    assert stages["run"], "the WASI profile ran commands"


def test_one_fuzzed_module_can_be_replayed_in_process():
    """The reproduction path for a finding: regenerate module N of a seed and exercise it here."""
    from langchain_wasm import WasmEngine

    engine = WasmEngine(cache_dir=None)
    for gen in fuzz.iter_corpus(SEED, 6):
        result = fuzz.exercise(gen, engine)
        assert result["cases"] >= 1
        assert not any(o.startswith("UNTYPED") for _, o in result["outcomes"])
