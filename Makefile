# The two commands of README.md.

.PHONY: run test

# Builds Campo and starts it on http://127.0.0.1:8080/ with SQLite and the demo organisation.
run:
	cargo run --release --locked -p campo-server --bin campo -- serve --demo

# Runs every test (SQLite and PostgreSQL); CI runs the same.
test:
	bash .ci/test
