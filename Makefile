# Every target works on a fresh machine with only Python: scripts/dev.py does the set-up.
PYTHON ?= python3

.PHONY: run test check trace proof lock bench

run:    ## set up and serve on http://127.0.0.1:8000 (SQLite in ./signoff.db)
	$(PYTHON) scripts/dev.py run

test:   ## set up and run the whole test suite on SQLite and PostgreSQL
	$(PYTHON) scripts/dev.py test

check:  ## ruff, ruff format --check, mypy --strict, import-linter
	$(PYTHON) scripts/dev.py check

trace:  ## Signoff's own traceability over docs/design.md (after test)
	$(PYTHON) scripts/dev.py trace

proof:  ## the long property and model runs (random, seed printed; SEED=... to repeat)
	$(PYTHON) scripts/dev.py proof

lock:   ## re-pin constraints.txt (run time) and constraints-dev.txt from the virtualenv
	$(PYTHON) scripts/dev.py lock

bench:  ## the HTTP stack benchmark (see bench/README.md)
	$(PYTHON) scripts/dev.py setup && .venv/bin/python bench/http_stack.py
