# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
EXTRAS ?= test,oracle

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

.PHONY: install demo test lint bench
install: $(BIN)/.installed

demo: install  ## lint the rule pack and assess the bundled example profiles
	$(BIN)/ipcheck rules lint
	$(BIN)/ipcheck assess examples/*.json

test: install  ## the whole test suite, as CI runs it
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/single.py
