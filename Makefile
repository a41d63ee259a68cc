# megam-tui: `make run` sets everything up and starts the app against local engines;
# `make test` sets everything up and runs the tests (what CI runs).
.PHONY: run test venv testbed down app screenshots bench

run: venv testbed
	.venv/bin/megam-tui --config .testbed/megam.yaml

test:
	scripts/run-tests

venv:
	scripts/setup-venv

testbed:
	scripts/testbed/up all

down:
	scripts/testbed/down all

app: venv
	.venv/bin/megam-tui

screenshots: venv testbed
	.venv/bin/python scripts/screenshots

bench: venv testbed
	for b in benchmarks/*.py; do .venv/bin/python $$b || exit 1; done
