# Yorisou — the two commands are `make demo` and `make test`.
# The newest Python 3.11+ found (3.12+ gets Django 6; 3.11 gets Django 5.2 LTS).
PYTHON ?= $(firstword $(foreach p,python3.14 python3.13 python3.12 python3.11 python3,$(if $(shell $(p) -c 'import sys; print(sys.version_info >= (3, 11))' 2>/dev/null | grep True),$(p))))
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ASSETS := src/yorisou/static/vendor/.built
MESSAGES := src/yorisou/locale/ja/LC_MESSAGES/django.mo
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test setup lint typecheck pytest serve makemessages clean

demo: setup
	$(PY) -m yorisou migrate --noinput
	$(PY) -m yorisou load_demo
	$(PY) -m yorisou serve --host $(HOST) --port $(PORT)

test: setup lint typecheck pytest

setup: $(STAMP) $(ASSETS) $(MESSAGES)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Yorisou needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(ASSETS): package.json package-lock.json frontend/build.mjs
	npm ci --no-audit --no-fund --ignore-scripts
	node frontend/build.mjs
	@touch $(ASSETS)

$(MESSAGES): $(STAMP) $(wildcard src/yorisou/locale/*/LC_MESSAGES/django.po)
	$(VENV)/bin/pybabel compile -d src/yorisou/locale -D django --statistics

lint: $(STAMP)
	$(VENV)/bin/ruff check src benchmarks scripts
	$(VENV)/bin/ruff format --check src benchmarks scripts

typecheck: $(STAMP)
	$(VENV)/bin/mypy src/yorisou

pytest: setup
	$(VENV)/bin/pytest

serve: setup
	$(PY) -m yorisou serve --host $(HOST) --port $(PORT)

# Developers: regenerate the .po catalogue after changing strings (needs GNU gettext).
makemessages: $(STAMP)
	cd src/yorisou && ../../$(PY) -P -m yorisou makemessages -l ja -l en --no-obsolete --no-location --no-wrap --ignore 'static/vendor/*'

clean:
	rm -rf $(VENV) node_modules src/yorisou/static/vendor var/test-*
