# The two commands of README.md: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench lint clean fixtures

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[server,dev]'
	touch $(STAMP)

## Set up and run the main job: a fresh demo database (migrated, seeded), then the server on 127.0.0.1:8000.
DEMO_DIR ?= .openbadges-demo
run: $(STAMP)
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	cd $(DEMO_DIR) && export OPENBADGES_DATABASE_URL=sqlite+aiosqlite:///openbadges.db \
	  OPENBADGES_BASE_URL=http://127.0.0.1:8000 && \
	  ../$(BIN)/openbadges-server migrate && \
	  echo "Demo badges (JSON-LD; open them in a browser for the badge page; paste a verify line into another terminal):" && \
	  ../$(BIN)/openbadges-server seed-demo >/dev/null && \
	  echo "API docs: http://127.0.0.1:8000/docs" && \
	  exec ../$(BIN)/openbadges-server run --host 127.0.0.1 --port 8000

## Set up and run the whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

## ruff, and mypy --strict (pyproject) on the library and the server.
lint: $(STAMP)
	$(BIN)/ruff check openbadges_core hosting tests benchmarks
	$(BIN)/mypy openbadges_core hosting

## Rebuild the sample badges in fixtures/ from its test keys (deterministic, offline).
fixtures: $(STAMP)
	$(BIN)/python fixtures/regenerate.py

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
