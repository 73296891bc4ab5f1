# Entry points. `make setup && make eval` gives a results table; `make test` runs every test, Docker included.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MODEL ?= oracle
SUITE ?= all
LIMIT ?=
EPOCHS ?=
DATA ?=
ARGS ?=

EVAL_FLAGS := --model $(MODEL) --suite $(SUITE) \
	$(if $(LIMIT),--limit $(LIMIT)) $(if $(EPOCHS),--epochs $(EPOCHS)) $(if $(DATA),--data $(DATA))

.PHONY: setup eval test lint images nightly bench clean-sandboxes

setup: $(BIN)/harness

$(BIN)/harness: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

eval: setup
	$(BIN)/harness eval $(EVAL_FLAGS) $(ARGS)

images: setup
	$(BIN)/harness images build

test: setup
	$(BIN)/ruff check harness suites tests bench
	$(BIN)/python -m pytest $(ARGS)

lint: setup
	$(BIN)/ruff check harness suites tests bench
	$(BIN)/ruff format --check harness suites tests bench

bench: setup
	$(BIN)/python bench/overhead.py

clean-sandboxes: setup
	$(BIN)/inspect sandbox cleanup docker
