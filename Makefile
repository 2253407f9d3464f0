# The two Quick-start commands: `make demo` builds the report site from the
# sample cases, `make test` runs every test. Each sets up .venv by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test check serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.app
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.app
	$(BIN)/python build.py

check: $(VENV)/.app
	$(BIN)/python build.py check

serve: $(VENV)/.app
	$(BIN)/python build.py serve

test: $(VENV)/.test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf site .amends-cache
