"""``preload``: interpreters start with modules imported, from a template built once from our own code."""

from __future__ import annotations

import pytest

from langchain_wasm import Limits, WasmPythonSandbox


@pytest.fixture(scope="module")
def preloaded(runtime):
    sb = WasmPythonSandbox(preload=("numpy", "pandas"), quiet=True)
    sb.template()  # built once per process
    yield sb
    sb.close()


def test_modules_are_already_imported_but_not_bound(preloaded):
    r = preloaded.run("import sys\n('pandas' in sys.modules, 'pandas' in globals())")
    assert r.result == [True, False]
    code = "import pandas as pd\nint(pd.DataFrame({'a': range(100)}).a.sum())"
    assert preloaded.run(code).result == 4950
    # Work, not wall time (the machine may be busy): instructions counted by fuel (a budget puts the run on the
    # fuel-metering build, with the same template), against a cold import.
    metered = Limits(fuel=10**12)
    r = preloaded.run(code, limits=metered)
    cold = WasmPythonSandbox(quiet=True).run(code, limits=metered)
    assert cold.result == 4950
    assert r.metrics.fuel_used * 5 < cold.metrics.fuel_used, (r.metrics.fuel_used, cold.metrics.fuel_used)


def test_cells_are_numbered_from_one_and_state_does_not_leak_between_interpreters(preloaded):
    with preloaded.session() as s:
        r = s.run("import numpy\nnumpy.leaked = 'from session 1'\n1 / 0")
        assert 'File "<cell 1>"' in r.error.traceback
    assert preloaded.run("import numpy\nhasattr(numpy, 'leaked')").result is False
    with preloaded.session() as s2:
        assert s2.run("import numpy\nhasattr(numpy, 'leaked')").result is False


def test_bad_module_names_are_refused(runtime):
    with pytest.raises(ValueError, match="not a module name"):
        WasmPythonSandbox(preload=("os; import evil",))
    with pytest.raises(Exception, match="preloading"):
        WasmPythonSandbox(preload=("no_such_module_here",), quiet=True).template()
