# `make run` and `make test` are all a newcomer needs: both build the virtualenv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint schema token clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m graph.serve

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy domain infra llm_service

schema: $(STAMP)
	$(BIN)/python -m graph.export_schema > schema.graphql

token: $(STAMP)
	$(BIN)/mission-planner token $${USER_ID:-dev-user}

clean:
	rm -rf $(VENV)
