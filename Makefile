# Developer verbs. The README's quick start is `make demo` and `make test`;
# both create or refresh .venv from requirements.lock on a machine with only Python 3.11.
# Python 3.11, by whichever name this machine gives it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench lock clean-var chromium screenshots

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is needed, found " + sys.version'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the lock or the project metadata changed.
$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/telcrm demo

test: $(STAMP) lint typecheck chromium
	$(BIN)/python -m pytest

# Browser tests drive Debian's chromium (never a downloaded browser), with a Chinese font
# for the zh-Hans pages (fonts-noto-cjk). Install them where this machine allows (root
# and apt); elsewhere those tests skip and say why.
chromium:
	@if command -v chromium >/dev/null 2>&1 && fc-list :lang=zh family 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk \
	    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; }; } \
	    >/dev/null 2>&1 || echo "chromium could not be installed: the browser tests will be skipped"; \
	elif command -v chromium >/dev/null 2>&1; then \
	  echo "no Chinese font (apt-get install fonts-noto-cjk): zh-Hans screenshots will show boxes"; \
	else echo "chromium is not installed (needs root and apt): the browser tests will be skipped"; fi

# The screenshots of docs/web.md, from the browser tests' walk of the main pages.
screenshots: $(STAMP) chromium
	TELCRM_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/telcrm/web/test_browser.py -q -k both_languages

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Re-resolve the pinned dependency tree after editing pyproject.toml.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock
