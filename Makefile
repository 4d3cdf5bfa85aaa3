# The two commands of README.md.

.PHONY: run test pwa bench-sync bench-flood

# Builds the PWA and Campo, and starts it on http://127.0.0.1:8080/ with SQLite and the demo
# organisation.
run: pwa
	cargo run --release --locked -p campo-server --bin campo -- serve --demo

# Builds the PWA into pwa/dist (served by `campo`). `npm install` rather than `npm ci`: the lock
# pins every version, but npm leaves optional platform builds out of it, which `npm ci` refuses.
pwa:
	cd pwa && npm install --no-audit --no-fund && npm run build

# Runs every test (SQLite, PostgreSQL, the PWA in Chromium); CI runs the same.
test:
	bash .ci/test

# Measures /sync against the published Node sync server of automerge-repo, side by side (see
# docs/rendimiento.md). Not part of `make test`.
bench-sync:
	cd tests/bench && npm install --no-audit --no-fund
	cargo build --release --locked -p campo-server --bin campo -p campo-tests --bin sync_bench
	ulimit -n $$(ulimit -Hn) && $${CARGO_TARGET_DIR:-target}/release/sync_bench $(ARGS)

# Measures what one user asking for 50,000 documents that do not exist costs the server and an
# honest user meanwhile (see docs/integridad.md). Not part of `make test`.
bench-flood:
	cargo build --release --locked -p campo-server --bin campo -p campo-tests --bin flood_bench
	$${CARGO_TARGET_DIR:-target}/release/flood_bench
