# The two Quick-start commands: `make demo` builds the report site from the
# sample cases, `make test` runs every test. Each sets up .venv by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test check serve bench clean system-deps

# Root installs directly; anyone else through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

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

# amends against Hugo and Pelican (bench/README.md); e.g. make bench BENCH_ARGS="--cases 1000 --runs 1"
bench: $(VENV)/.app
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The tests drive Debian's Chromium (Playwright's own browser download does not
# work here) and run the Nu HTML Checker, which needs Java.
system-deps:
	@test -x /usr/bin/chromium && command -v java >/dev/null || { \
	  echo "Installing Chromium and Java for the browser and HTML tests..."; \
	  $(APT) update -qq && $(APT) install -y -qq chromium default-jre-headless >/dev/null; }

# The Nu HTML Checker and axe-core come from the npm registry (package.json).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

test: $(VENV)/.test node_modules/.installed system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf site .amends-cache
