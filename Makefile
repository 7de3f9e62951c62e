# Two commands a new user needs: `make run` (the whole product) and `make test` (the suite).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run run-cluster test test-fast shell model generate check bench migrate clean

run: $(STAMP)
	@scripts/run.sh

# Several of each process (Procfile.cluster) on this machine's PostgreSQL (DATABASE_URL, default
# postgresql://postgres@127.0.0.1:5432/ubnd_cluster, created if missing) and Redis (REDIS_HOST/PORT).
run-cluster: $(STAMP)
	@scripts/run.sh cluster

# Two runs on both cores (pytest-xdist): the tests without a model or a browser (each worker has
# its own SQLite files and PostgreSQL schemas), then the model and browser tests a file per worker
# (--dist loadfile: a file's servers and module fixtures stay on one worker; they mostly wait on
# leases, retries and training, so two at once take 8 minutes instead of 14; the model is trained
# once, under a lock). --durations: the CI log names the slowest tests. Exit status 5 is "no test
# selected": PYTEST_ARGS may name tests of one run only.
test: $(STAMP)
	$(PY) -m pytest -m "not model and not browser" -q -n 2 --durations=10 $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(PY) -m pytest -m "model or browser" -n 2 --dist loadfile --durations=25 $(PYTEST_ARGS) || [ $$? -eq 5 ]

# The lane to run while working: no trained model, SQLite only, on every core (pytest-xdist), at
# most 2 minutes; `make test` runs everything (the model, PostgreSQL, the browser).
test-fast: $(STAMP)
	TEST_DATABASES=sqlite $(PY) -m pytest -m "not model and not slow" -q -n auto $(PYTEST_ARGS)

shell: $(STAMP)
	@scripts/run.sh shell

model: $(STAMP)
	$(PY) -m bot model

generate: $(STAMP)
	$(PY) -m bot generate

check: $(STAMP)
	$(PY) -m bot check

bench: $(STAMP)
	$(PY) bench/nlu_eval.py

migrate: $(STAMP)
	$(PY) -m bot migrate

$(STAMP): requirements.in constraints.txt scripts/find_python.sh
	@python="$$(scripts/find_python.sh)" || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
		echo "creating $(VENV) with $$python"; rm -rf $(VENV); "$$python" -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --upgrade "pip==24.2"
	$(PY) -m pip install --quiet -r requirements.in -c constraints.txt
	$(PY) -m pip check
	@touch $(STAMP)

clean:
	rm -rf $(VENV) models var
