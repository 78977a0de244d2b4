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

demo: install  ## lint the pack, assess the example firms, screen 1,000 generated messy applicants
	$(BIN)/ipcheck rules lint
	$(BIN)/ipcheck assess examples/*.json
	mkdir -p out
	$(BIN)/ipcheck generate 1000 -o out/applicants.xlsx --seed 1 --messy 0.05 --headers zh
	$(BIN)/ipcheck screen out/applicants.xlsx -o out/decisions.xlsx
	@echo "decisions, rationale, ranking and errors: out/decisions.xlsx"

test: install  ## the whole test suite, as CI runs it
	$(BIN)/python -m pytest

lint: install  ## ruff: the checks and the formatting (configured in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install  ## every benchmark; each prints its figures
	$(BIN)/python bench/single.py
	$(BIN)/python bench/batch.py
	$(BIN)/python bench/batch_stages.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/startup.py
