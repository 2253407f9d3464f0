# The two Quick-start commands: `make demo` builds the report site from the
# sample cases, `make test` runs every test. Each sets up .venv by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test check serve bench lock clean system-deps

# Root installs directly; anyone else through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

# Python packages come from uv.lock only, with their hashes: `uv sync --locked`
# refuses a lock that no longer matches pyproject.toml and installs exactly what
# it lists. uv itself is pinned by hash in scripts/uv-requirements.txt and
# installed into .uv/ with the pip that comes with Python.
UV := .uv/bin/uv
export UV_PYTHON_DOWNLOADS := never
SYNC := $(UV) sync --locked --quiet --python $(PYTHON)

$(UV): scripts/uv-requirements.txt
	rm -rf .uv
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes --target .uv -r $<
	touch $@

# demo, check, serve and bench add what they need and leave the rest (--inexact);
# test makes .venv exactly the locked runtime and test packages.
demo: $(UV)
	$(SYNC) --inexact
	$(BIN)/python build.py

check: $(UV)
	$(SYNC) --inexact
	$(BIN)/python build.py check

serve: $(UV)
	$(SYNC) --inexact
	$(BIN)/python build.py serve

# amends against Hugo and Pelican (bench/README.md); e.g. make bench BENCH_ARGS="--cases 1000 --runs 1"
bench: $(UV)
	$(SYNC) --inexact --extra bench
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The tests drive Debian's Chromium (Playwright's own browser download does not
# work here), run the Nu HTML Checker, which needs Java, read printed PDFs
# with poppler-utils (pdftotext, pdfinfo), and pass mail through Postfix. Postfix
# is installed with debconf's "No configuration": the system's own Postfix has no
# main.cf, so it neither starts nor relays; tests/test_postfix.py runs a private
# instance on 127.0.0.1 that delivers into a folder of the test. Dovecot's IMAP,
# LMTP and Sieve (Pigeonhole: a customer's vacation notice) serve the inbox tests,
# from a private instance too; where systemd started the system's own Dovecot on
# installing it, it is stopped and disabled, so no IMAP server listens beyond the
# tests. LibreOffice Calc
# (libreoffice-calc-nogui) opens each year's cases-YEAR.csv in tests/test_spreadsheet.py.
# nginx (Debian's `nginx`, the smallest package with TLS, HTTP/2 and basic auth)
# serves the README's recipe, docs/nginx-amends.conf, in tests/test_share.py, on
# 127.0.0.1; the system's own, which systemd starts on installing it with a
# default site on port 80 of every interface, is stopped and disabled the same way
# (only when this installed it: an nginx that was already there is someone's).
system-deps:
	@test -x /usr/bin/chromium && command -v java >/dev/null && command -v pdftotext >/dev/null && test -x /usr/sbin/postfix && test -x /usr/sbin/dovecot && test -x /usr/lib/dovecot/lmtp && test -f /usr/lib/dovecot/modules/lib90_sieve_plugin.so && command -v soffice >/dev/null && test -x /usr/sbin/nginx || { \
	  echo "Installing Chromium, Java, poppler-utils, Postfix, Dovecot, LibreOffice Calc and nginx for the browser, HTML, print, mail, spreadsheet and sharing tests..."; \
	  echo "postfix postfix/main_mailer_type select No configuration" | $(SUDO) debconf-set-selections; \
	  new_nginx=$$(test -x /usr/sbin/nginx || echo yes); \
	  $(APT) update -qq && $(APT) install -y -qq chromium default-jre-headless poppler-utils postfix dovecot-imapd dovecot-lmtpd dovecot-sieve libreoffice-calc-nogui nginx >/dev/null; \
	  if [ -d /run/systemd/system ]; then $(SUDO) systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true; \
	    if [ -n "$$new_nginx" ]; then $(SUDO) systemctl disable --now nginx.service >/dev/null 2>&1 || true; fi; fi; }

# The Nu HTML Checker and axe-core come from the npm registry (package.json).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

test: $(UV) node_modules/.installed system-deps
	$(SYNC) --extra test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Take the newest releases that pyproject.toml allows, and the newest uv, on purpose;
# then run `make test` and commit uv.lock and scripts/uv-requirements.txt together.
lock: $(UV)
	$(UV) lock --upgrade
	echo uv | $(UV) pip compile --quiet --generate-hashes --universal --upgrade \
	  --custom-compile-command "make lock" - -o scripts/uv-requirements.txt

clean:
	rm -rf site .amends-cache
