VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test install worker beat lint format organiser bench

# PyICU (Unicode's confusable skeletons for look-alike names) builds against the system's ICU.
$(VENV)/.installed: requirements.txt
	pkg-config --exists icu-i18n 2>/dev/null || (apt-get update -qq && apt-get install -y -qq libicu-dev pkg-config)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

# Migrating also loads the letter (a data migration). DEBUG=1 lets the development key in the repository serve.
# `make run PORT=8001` when 8000 is taken: the links in mails (SITE_URL) follow the port.
PORT ?= 8000
run: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

worker: install
	DEBUG=$${DEBUG:-1} $(VENV)/bin/celery -A coalition worker -Q mail,default,bulk --loglevel=INFO

# Exactly one beat in all, however many workers run (README: Production processes).
beat: install
	DEBUG=$${DEBUG:-1} $(VENV)/bin/celery -A coalition beat --loglevel=INFO

organiser: install
	@read -p "Organiser email: " email; DEBUG=$${DEBUG:-1} $(PY) manage.py createorganiser "$$email"

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

# The load tool is Debian's wrk (C, light on the two cores the server needs), the cache Debian's nginx; nothing is
# added to the .venv.
bench: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || (apt-get update -qq && apt-get install -y -qq nginx)
	$(PY) -m bench.run
