# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PANTAU := $(BIN)/pantau

.PHONY: install demo test lint bench clean browser

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(PANTAU) db upgrade
	$(PANTAU) run --once
	$(PANTAU) digest --date busiest --format html --output data/digests/demo.html
	$(PANTAU) digest --date busiest --format md --output data/digests/demo.md
	@echo
	@echo "database: $$($(PANTAU) db status)"
	@echo "digests:  $(CURDIR)/data/digests/demo.html and demo.md (the busiest day; also digest-<day>.* and the digest table)"
	@echo "alerts:"
	@sed -n '/^## Peringatan lonjakan/,/^## /p' data/digests/demo.md | grep '^- ' || echo "  (none)"

browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: install browser
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m pantau.bench.classify

clean:
	rm -rf $(VENV) data/pantau.db* data/digests
