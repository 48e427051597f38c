# langchain-wasm developer commands. `make demo` and `make test` are the two a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: help demo test lint format bench docs clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lint,prometheus,docs]'
	touch $(STAMP)

demo: $(STAMP)  ## run the sandbox host demo (guests at work, then guests attacking the host)
	$(PY) -m langchain_wasm.demo

test: $(STAMP)  ## run the test suite, then execute every notebook
	$(PY) -m pytest
	cd notebooks && ../$(PY) -m pytest --nbmake -p no:cacheprovider -q .

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

clean:  ## remove the venv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
