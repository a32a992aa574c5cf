# The two set-up commands are `make run` and `make test`; everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint unit bench kafka-up kafka-down postgres-up postgres-down asyncapi clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run the whole system in one process on the embedded default (in-memory bus, SQLite in
## ./var), fed the winter PM2.5 scenario at a pace a person can follow
run: install
	$(BIN)/airwarn up --demo winter-pm25 --seed 1

## install, start a real Kafka broker and PostgreSQL, lint, run every test, stop them
test: install lint
	deploy/local/chromium.sh
	deploy/local/test.sh

lint: install
	$(BIN)/ruff check services shared tests bench
	$(BIN)/ruff format --check services shared tests bench
	$(BIN)/mypy services shared bench
	$(BIN)/lint-imports

## benchmarks (not a test): the four services on a Kafka broker and PostgreSQL of their own
## against a bare aiokafka relay, and the AQI and rule micro-benchmarks; writes
## bench/results/<time>.json and bench/results/latest.md and prints the table
## (BENCH_ARGS="--only micro", "--profile alerting"...: see python -m bench.run --help)
bench: install
	bench/bench.sh $(BENCH_ARGS)

## fast tests only: no broker, no PostgreSQL
unit: install
	$(BIN)/python -m pytest -m "not kafka and not postgres" -q

asyncapi: install
	$(BIN)/airwarn asyncapi

kafka-up:
	deploy/local/kafka.sh start
kafka-down:
	deploy/local/kafka.sh stop
postgres-up:
	deploy/local/postgres.sh start
postgres-down:
	deploy/local/postgres.sh stop

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
