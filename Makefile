# Two commands a fresh machine needs:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# Where the dashboard listens: this computer only, unless a room is to join from phones
# (`make demo ADDRESS=0.0.0.0 PUBLIC_URL=http://192.168.1.20:8501`, see the README).
ADDRESS    ?= 127.0.0.1
PUBLIC_URL ?=

.PHONY: demo test test-slow lint

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-train.txt requirements-scale.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

demo: $(VENV)/.installed
	EMOTION_ATLAS_PUBLIC_URL=$(PUBLIC_URL) $(PY) -m streamlit run app.py --server.address $(ADDRESS)

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m bandit --quiet --recursive core ui pages app.py --severity-level high

# The everyday suite (a few minutes on 2 cores); the slow cases run in `make test-slow`.
test: $(VENV)/.installed lint
	$(PY) -m pytest -q -m "not slow"

test-slow: $(VENV)/.installed
	$(PY) -m pytest -q -m slow
