# Entry points. `make setup && make eval` gives a results table; `make test` runs every test, Docker included.
# `make doctor` checks the machine first; `make eval` runs its blocking checks before building anything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MODEL ?= oracle
SUITE ?= all
LIMIT ?=
EPOCHS ?=
DATA ?=
ARGS ?=
SCRIPT ?=
AGENT ?=
BASELINE ?=

EVAL_FLAGS := --model $(MODEL) --suite $(SUITE) \
	$(if $(LIMIT),--limit $(LIMIT)) $(if $(EPOCHS),--epochs $(EPOCHS)) $(if $(DATA),--data $(DATA)) \
	$(if $(SCRIPT),--script $(SCRIPT)) $(if $(AGENT),--agent $(AGENT))

.PHONY: setup doctor eval test lint images nightly bench parity clean-sandboxes

setup: $(BIN)/harness

$(BIN)/harness: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,all]'
	@touch $@

doctor: setup
	$(BIN)/harness doctor

eval: setup
	$(BIN)/harness doctor --blocking
	$(BIN)/harness eval $(EVAL_FLAGS) $(ARGS)

images: setup
	$(BIN)/harness images build

test: setup
	$(BIN)/ruff check harness suites tests bench notebooks
	$(BIN)/python -m pytest $(ARGS)

lint: setup
	$(BIN)/ruff check harness suites tests bench notebooks
	$(BIN)/ruff format --check harness suites tests bench

# Nightly regression: the fixed subset (harness/data/nightly.toml) vs results/baselines/$(MODEL); non-zero exit on a
# significant regression or too many infrastructure errors. SUITE narrows the subset, BASELINE picks another baseline.
nightly: setup
	$(BIN)/harness nightly --model $(MODEL) $(if $(filter-out all,$(SUITE)),--suite $(SUITE)) \
		$(if $(EPOCHS),--epochs $(EPOCHS)) $(if $(SCRIPT),--script $(SCRIPT)) $(if $(BASELINE),--baseline $(BASELINE)) $(ARGS)

bench: setup
	$(BIN)/python bench/overhead.py

# Every comparison with upstream's own code available on this machine (../shared, Docker): one line per suite, exit 1
# on any difference (harness/parity.py). SUITE narrows it to one suite.
parity: setup
	$(BIN)/python -m harness.parity $(if $(filter-out all,$(SUITE)),--suite $(SUITE)) $(ARGS)

# Every container, network and volume a harness run left (killed runs, crashes), LiveCodeBench graders included;
# `harness clean RUN_ID` removes one run's.
clean-sandboxes: setup
	$(BIN)/harness clean
