# The two commands of README.md.

.PHONY: run test bench-sync

# Builds Campo and starts it on http://127.0.0.1:8080/ with SQLite and the demo organisation.
run:
	cargo run --release --locked -p campo-server --bin campo -- serve --demo

# Runs every test (SQLite and PostgreSQL); CI runs the same.
test:
	bash .ci/test

# Measures /sync against the published Node sync server of automerge-repo, side by side (see
# «Rendimiento de la sincronización» in README.md). Not part of `make test`.
bench-sync:
	cd tests/bench && npm install --no-audit --no-fund
	cargo build --release --locked -p campo-server --bin campo -p campo-tests --bin sync_bench
	ulimit -n $$(ulimit -Hn) && $${CARGO_TARGET_DIR:-target}/release/sync_bench $(ARGS)
