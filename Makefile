# The two commands of README.md.

.PHONY: run test pwa

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
