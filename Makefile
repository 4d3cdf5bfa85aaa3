# The two commands of README.md.

.PHONY: run test pwa bench-sync bench-flood fuzz fuzz-seeds

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

# Fuzzes the sync message decoder, the write rules and the photo ingest, each for FUZZ_SECS
# seconds, one after the other, in one process at the lowest CPU priority (see «Fuzzing» in
# docs/integridad.md). Not part of `make test`. Needs cargo-fuzz (`cargo install cargo-fuzz
# --locked`); RUSTC_BOOTSTRAP=1 lets the stable compiler take the sanitizer flags cargo-fuzz
# passes. The committed seeds are read from fuzz/corpus/; new inputs go to fuzz/grown/, crashes
# to fuzz/artifacts/, each target's log (with its final figures) to fuzz/logs/.
FUZZ_SECS ?= 600
FUZZ_TARGETS ?= sync_message write_rules photo_ingest
fuzz:
	cd fuzz && RUSTC_BOOTSTRAP=1 nice -n 19 cargo fuzz build
	cd fuzz && mkdir -p logs && for target in $(FUZZ_TARGETS); do \
		mkdir -p grown/$$target; \
		RUSTC_BOOTSTRAP=1 nice -n 19 cargo fuzz run $$target grown/$$target corpus/$$target -- \
			-max_total_time=$(FUZZ_SECS) -jobs=1 -print_final_stats=1; status=$$?; \
		mv fuzz-0.log logs/$$target.log; grep -E '^(#[0-9]+[[:space:]]+DONE|Done|stat::)' logs/$$target.log; \
		test $$status -eq 0 || exit $$status; \
	done

# Writes the seed corpus fuzz/corpus/ again, from Campo's own code (fuzz/examples/seeds.rs).
# Built with the flags of `cargo fuzz build` (cargo-fuzz 0.13), so that it reuses that build.
FUZZ_RUSTFLAGS := -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
	-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
	-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing \
	-Cllvm-args=-simplifycfg-branch-fold-threshold=0 -Zsanitizer=address \
	-Cllvm-args=-sanitizer-coverage-stack-depth -Cdebug-assertions -Ccodegen-units=1
fuzz-seeds:
	cd fuzz && RUSTC_BOOTSTRAP=1 RUSTFLAGS="$(FUZZ_RUSTFLAGS)" nice -n 19 cargo run --release \
		--config 'profile.release.debug="line-tables-only"' --target x86_64-unknown-linux-gnu \
		--example seeds
