"""The langchain-wasm command line: inspect, call, run, agent (recorded planner), exit codes, one-line errors."""

from __future__ import annotations

import json

from langchain_wasm.cli import main
from tests.guests.conftest import GUESTS

WAT = GUESTS / "wat"


def test_inspect_module_guest_and_component(capsys):
    assert main(["--json", "inspect", str(WAT / "add.wat")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["exports"] == {"add": "(i32, i32) -> (i32)"}
    assert main(["--json", "inspect", str(GUESTS / "weather")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["abi"] == "json-stdio"
    assert info["input_schema"]["required"] == ["city"]
    assert main(["--json", "inspect", str(GUESTS / "quadratic_component" / "quadratic_component.wasm")]) == 0
    assert "solve" in json.loads(capsys.readouterr().out)["functions"]


def test_call_and_limits(capsys):
    assert main(["call", str(WAT / "add.wat"), "add", "40", "2"]) == 0
    assert capsys.readouterr().out.strip() == "42"
    assert main(["call", str(WAT / "spin.wat"), "spin", "--fuel", "1000"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("langchain-wasm: WasmFuelExhaustedError:")
    assert err.count("\n") == 1  # one line, no traceback


def test_run_with_stdin_and_exit_codes(tmp_path, capsys):
    data = tmp_path / "in.txt"
    data.write_bytes(b"echo me")
    assert main(["run", str(WAT / "cat.wat"), "--stdin", str(data)]) == 0
    assert capsys.readouterr().out == "echo me"
    assert main(["--json", "run", str(WAT / "hello.wat")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stdout"] == "hello from wasm\n"
    assert out["metrics"]["fuel_used"] > 0


def test_capability_and_load_errors_exit_4(tmp_path, capsys):
    assert main(["run", str(WAT / "sleep.wat")]) == 4
    assert "clocks" in capsys.readouterr().err
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"not wasm")
    assert main(["inspect", str(bad)]) == 4


def test_agent_runs_the_recorded_demo(capsys):
    assert main(["agent"]) == 0
    out = capsys.readouterr().out
    assert "RECORDED planner" in out
    assert "-> rey (weather)" in out
    assert "Answer: Reykjavik: 39.7 F (snow); Cairo: 88.7 F (sunny)." in out


def test_agent_without_a_model_refuses_other_questions(capsys):
    assert main(["agent", "what is the capital of France?"]) == 2  # a usage error
    assert "no model configured" in capsys.readouterr().err


def test_agent_pauses_for_approval_and_resumes_from_sqlite(tmp_path, capsys):
    db = tmp_path / "cli.sqlite"
    assert main(["agent", "--db", str(db), "--thread", "x", "--approve", "ask"]) == 5
    out = capsys.readouterr().out
    assert "Paused: steps ['cai', 'rey'] need approval" in out or "Paused: steps ['rey', 'cai'] need approval" in out
    assert "<- rey" not in out  # nothing ran before the decision
    assert main(["agent", "--db", str(db), "--thread", "x", "--approve", "ask", "--resume", "approve"]) == 5
    out = capsys.readouterr().out
    assert "<- rey (weather) success" in out
    assert "need approval" in out  # the dependent step asks in its turn
    assert main(["agent", "--db", str(db), "--thread", "x", "--approve", "ask", "--resume", "approve"]) == 0
    out = capsys.readouterr().out
    assert "<- rey" not in out  # finished steps are not repeated
    assert "Answer: Reykjavik: 39.7 F" in out


def test_warmup_compiles_every_guest(capsys, tmp_path):
    import shutil

    shutil.copytree(GUESTS / "sha256", tmp_path / "sha256")
    shutil.copytree(GUESTS / "weather", tmp_path / "weather")
    assert main(["warmup", "--guests", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "[1/2] sha256" in err
    assert "[2/2] weather" in err
    (tmp_path / "weather" / "manifest.toml").write_text('name = "weather"\n')
    assert main(["warmup", "--guests", str(tmp_path)]) == 1
    assert "failed:" in capsys.readouterr().err


def test_run_bounds_a_writable_dir_with_the_workspace_flags(tmp_path, capsys):
    """`--workspace-mb` / `--workspace-entries` set the quota of `--dir ...:rw`; the hostile fill_disk guest
    sees EDQUOT at it and nothing past it reaches the disk."""
    fill = GUESTS.parent / "guests" / "hostile" / "fill_disk" / "fill_disk.wasm"
    work = tmp_path / "w"
    work.mkdir()
    argv = ["run", str(fill), "--dir", f"{work}:/w:rw", "--timeout", "10"]
    assert main([*argv, "--workspace-mb", "1", "--workspace-entries", "20"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["write"] == got["create"] == got["mkdir"] == "EDQUOT"
    assert got["written"] <= 2**20
    assert (work / "big").stat().st_size == got["written"]
    assert len(list(work.iterdir())) == 20
    for p in work.iterdir():
        p.unlink()
    assert main([*argv, "--workspace-mb", "0.25", "--workspace-entries", "5"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["written"], got["files"]) == (4 * 64 * 1024, 4)  # exactly at the quota still fits
    from langchain_wasm.cli import build_parser
    from langchain_wasm.cli._common import limits_from_flags

    ns = build_parser().parse_args([*argv, "--workspace-mb", "0", "--workspace-entries", "0"])
    limits = limits_from_flags(ns)  # 0 = no bound, as for --timeout and --fuel
    assert (limits.workspace_bytes, limits.workspace_entries) == (None, None)
