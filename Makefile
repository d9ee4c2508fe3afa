# Two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# Tests run production-like (DEBUG off) but over plain HTTP against local servers.
TEST_ENV := SECRET_KEY=test-only-not-secret DEBUG=false HTTPS=false

.PHONY: run test install migrate demo lint messages benchmark clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@# A checkout is for development: local.env (git-ignored) turns DEBUG on for
	@# manage.py here; a server has no such file and stays strict.
	@test -f local.env || printf '# Development settings for this checkout (not for servers).\nDEBUG=true\n' > local.env
	touch $@

install: $(BIN)/.installed

migrate: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput

demo: migrate
	DEBUG=true $(BIN)/python manage.py load_demo

# Links in e-mails point at the server as `make run` serves it (PORT=8080 make run …).
PORTAL_BASE_URL ?= http://$(HOST):$(PORT)

run: demo
	@echo "Serving on http://$(HOST):$(PORT)/  (demo logins are printed above)"
	DEBUG=true PORTAL_BASE_URL=$(PORTAL_BASE_URL) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

messages: install
	cd $(CURDIR) && DEBUG=true $(BIN)/python manage.py makemessages -l ja --ignore=.venv --ignore=tests --ignore=benchmarks
	DEBUG=true $(BIN)/python manage.py compilemessages -l ja --ignore=.venv

benchmark: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
