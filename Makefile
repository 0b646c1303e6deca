# The README's two commands: `make demo` and `make test`. Both bootstrap .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# checkov pins an older pycep-parser, so it lives in its own venv (used by tests/infra).
IAC_VENV := .venv-iac
IAC_STAMP := $(IAC_VENV)/.installed

.PHONY: demo test lint format typecheck bench clean venv schema settings-doc browser-deps

venv: $(STAMP)

# Re-install whenever a requirements file changes; a half-made venv is rebuilt, not patched.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

$(IAC_STAMP):
	@test -x $(IAC_VENV)/bin/python || $(PYTHON) -m venv $(IAC_VENV)
	$(IAC_VENV)/bin/python -m pip install --quiet --disable-pip-version-check checkov==3.3.30
	@touch $(IAC_STAMP)

demo: $(STAMP)
	$(BIN)/onboard demo

test: $(STAMP) $(IAC_STAMP) browser-deps lint typecheck
	$(BIN)/python -m pytest -n 2 -q

# tests/browser drive Debian's Chromium (never a downloaded browser). As root, install it when
# missing; otherwise say why those tests will be skipped (they print the reason too).
CHROMIUM ?= /usr/bin/chromium
browser-deps:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian chromium for tests/browser"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends chromium >/dev/null 2>&1) \
	    || echo "WARNING: apt-get could not install chromium; tests/browser will be skipped"; \
	else echo "NOTE: $(CHROMIUM) is missing and this is not root with apt-get;" \
	  "tests/browser will be skipped (as root: make browser-deps)"; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy $(wildcard simulator shared orchestrators activities triggers devhost cli bench function_app.py)

# Prints the waiting and load figures recorded in docs/performance.md (not part of `make test`).
bench: $(STAMP)
	$(BIN)/python -m bench

# Regenerates the contract documents in docs/ from the code (cli/contract_docs.py): the request
# schema, the problem type pages (a test checks they agree).
schema: $(STAMP)
	$(BIN)/python -m cli.contract_docs

# Regenerates the app settings table of docs/deploy.md from shared/settings_registry.py
# (a test checks they agree).
settings-doc: $(STAMP)
	$(BIN)/python -c "import re, pathlib; from shared.settings_registry import markdown_table; \
	p = pathlib.Path('docs/deploy.md'); t = p.read_text(); \
	p.write_text(re.sub(r'(<!-- settings-table:start -->\n).*?(<!-- settings-table:end -->)', \
	lambda m: m.group(1) + markdown_table() + m.group(2), t, flags=re.S))"

clean:
	rm -rf $(VENV) $(IAC_VENV) .pytest_cache .mypy_cache .ruff_cache .state
