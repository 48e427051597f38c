"""Issue 14: the built wheel carries the example guests and an installed package finds them by default.

The wheel is built from this checkout (hatchling, offline) and unpacked into a folder that stands in for
site-packages; a fresh interpreter run from elsewhere imports the package from there, never from the checkout.
`make test-wheel` does the full thing (pip install into a clean venv, the demo, .ci/wheel_smoke.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ("matmul", "quadratic", "quadratic_component", "sha256", "text_stats", "typed_component", "weather")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("hatchling", reason="building the wheel needs hatchling (the test extra)")
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (found,) = out.glob("langchain_wasm-*.whl")
    return found


def test_the_wheel_carries_every_example_guest_but_not_the_hostile_ones(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for guest in EXAMPLES:
        assert f"langchain_wasm/guests/{guest}/manifest.toml" in names
        wasm = next(n for n in names if n.startswith(f"langchain_wasm/guests/{guest}/") and n.endswith(".wasm"))
        assert wasm
    assert "langchain_wasm/guests/wat/add.wat" in names  # the demo's guests
    assert "langchain_wasm/guests/weather/input.schema.json" in names
    assert not any("/hostile/" in n for n in names)


def test_an_installed_package_finds_its_guests_from_anywhere(wheel, tmp_path):
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import json, langchain_wasm\n"
        "from langchain_wasm import WasmToolkit\n"
        "from langchain_wasm.tools.toolkit import default_guest_dir\n"
        "from langchain_wasm.cli import main\n"
        "tools = WasmToolkit.from_directory().get_tools()\n"
        "import contextlib, io\n"
        "err = io.StringIO()\n"
        "with contextlib.redirect_stderr(err):\n"
        "    code = main(['warmup'])\n"
        "assert err.getvalue().count('  ok') >= 7, err.getvalue()\n"
        "print(json.dumps({'package': langchain_wasm.__file__, 'guests': str(default_guest_dir()),\n"
        "                  'tools': sorted(t.name for t in tools), 'warmup': code}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout.strip().splitlines()[-1])
    assert info["package"].startswith(str(site))  # the unpacked wheel, not the checkout
    assert info["guests"] == str(site / "langchain_wasm" / "guests")
    assert {"weather", "sha256", "matmul", "quadratic", "text_stats"} <= set(info["tools"])
    assert info["warmup"] == 0
    demo = subprocess.run(
        [sys.executable, "-m", "langchain_wasm.demo"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    assert "Answer: Reykjavik" in demo.stdout
