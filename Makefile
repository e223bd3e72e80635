# EHRGym: `make run` serves the EHR, `make test` runs the whole test suite,
# `make train-smoke` trains a tiny model with SFT and GRPO against live episodes.
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8000
PY     := $(VENV)/bin/python

.PHONY: run test install golden population bench clean train-install train-smoke train-test

# The virtual environment is rebuilt when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt client/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

golden: install
	$(PY) manage.py build_golden

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py build_golden
	$(PY) manage.py setup_demo
	$(PY) manage.py tasks sync
	@echo "EHRGym is serving at http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	$(PY) -m ehrsite.serve -b 127.0.0.1 -p $(PORT)

test: install
	PY=$(PY) scripts/run_tests.sh

# Training extras (torch CPU, TRL, transformers, datasets), pinned; the EHR itself runs without them.
$(VENV)/.train-installed: $(VENV)/.installed requirements-train.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-train.txt
	touch $@

train-install: $(VENV)/.train-installed

# SFT then GRPO on a tiny model against live episodes (starts a server unless EHRGYM_BASE_URL is set);
# its last line is one JSON object. Nothing is downloaded from a model hub.
train-smoke: train-install
	HF_HUB_OFFLINE=1 $(PY) -m training.smoke

# The tests that need the training extras (make test skips them when the extras are missing).
train-test: train-install
	env -u DATABASE_URL HF_HUB_OFFLINE=1 $(PY) -m pytest training -q

# Regenerate the shipped default population (needs the optional Synthea generator).
population: install
	$(PY) -m pip install --quiet -r requirements-synthea.txt
	$(PY) manage.py generate_population --patients 120 --seed 42 --reference-date 20261101

# Every benchmark (import, environment, browser, HTTP and load on SQLite and on PostgreSQL when reachable), one after
# another; figures with the machine and the date in bench/results/latest.md and latest.json. Run it on a quiet machine.
bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf var artifacts .pytest_cache
