# Carrefour — the two commands of the README:
#   make demo   run the server (SQLite, demo content of the 19e) and the kiosk
#   make test   run every test (SQLite, PostgreSQL, Kivy under Xvfb, end to end)
.PHONY: demo test bench lint setup-demo setup-test clean

demo: setup-demo
	@.venv/bin/python deploy/dev/demo.py

test: setup-test
	@deploy/dev/run-tests.sh

bench: setup-test
	@.venv/bin/python -m tests.bench

lint: setup-test
	@.venv/bin/ruff check kiosk tests

setup-demo:
	@deploy/dev/bootstrap.sh demo

setup-test:
	@deploy/dev/bootstrap.sh test

clean:
	rm -rf var/ tests/artifacts/ assets/pictograms/build/ assets/plans/build/
