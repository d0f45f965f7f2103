# lakegate developer entry points. Two commands matter: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# PyFlink pins pyarrow < 17 (via apache-beam), pyiceberg needs >= 17: the Flink mini-cluster of the
# parity tests lives in its own environment (lakegate's [flink] extra), found by tests/helpers/flink.py.
FLINK_VENV ?= .venv-flink
FLINK_STAMP := $(FLINK_VENV)/.installed

.PHONY: install flink demo test lint unit docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(FLINK_STAMP): pyproject.toml
	$(PYTHON) -m venv $(FLINK_VENV)
	$(FLINK_VENV)/bin/pip install --quiet --upgrade pip
	$(FLINK_VENV)/bin/pip install --quiet -e '.[flink]'
	touch $(FLINK_STAMP)

install: $(STAMP)

flink: $(FLINK_STAMP)

demo: $(STAMP)
	$(BIN)/python examples/quickstart/run_demo.py

lint: $(STAMP)
	$(BIN)/ruff check lakegate tests bench examples
	$(BIN)/mypy

test: $(STAMP) $(FLINK_STAMP) lint
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit

docs: $(STAMP)
	$(BIN)/python -m lakegate.cli.reference

bench: $(STAMP) $(FLINK_STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) $(FLINK_VENV) .pytest_cache .mypy_cache .ruff_cache
