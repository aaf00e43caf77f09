#!/usr/bin/env bash
# The whole test suite: formatting, lints, every Rust test (real SQLite files, a real `crm`
# process killed with SIGKILL, a real sync server on loopback — on SQLite and again on a
# throwaway PostgreSQL cluster —, seeded randomised
# convergence, a time-boxed fuzz of the server's frames), the UI's unit tests, and the end-to-end tests (the real UI in Chromium over
# the real core and a real sync server). This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Builds are reused across runs from a target directory outside the clone.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fieldcrm-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# A kept target directory grows with every build (incremental caches, the test binaries of
# earlier versions: 60 GB in a few days here). A test run compiles each crate once, so it
# keeps no incremental cache, and binaries no build touched for a day go (a day of builds
# left 70 GB of them and filled the disk).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
if [ -d "$CARGO_TARGET_DIR/debug/deps" ]; then
    find "$CARGO_TARGET_DIR/debug/deps" -maxdepth 1 -type f -perm -u+x ! -name '*.so' -mtime +1 -delete 2>/dev/null || true
fi

# The Tauri app embeds the built UI, so the UI is built (and type-checked) first.
echo "== ui: type check and build"
(cd ui && npm run --silent build)
echo "== ui: unit tests"
(cd ui && npx vitest run)

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== cargo test: the server's suites again, on PostgreSQL (a throwaway cluster: tests/src/pg.rs)"
CRM_TEST_DB=postgres cargo test --locked -p crm-tests

echo "== fuzzing the server's frame handling (time-boxed; a panicking input is kept in tests/fuzz/frames/)"
cargo run --locked -q -p crm-tests --bin fuzz-frames -- --seconds "${FUZZ_SECONDS:-20}"

echo "== end-to-end (Chromium, real core, real sync server)"
cargo build --locked -p sync-server -p crm-core -p web-shell --bins
(cd ui && CRM_BIN_DIR="$CARGO_TARGET_DIR/debug" node --test --test-concurrency=1 e2e/)
echo "== all tests passed (screenshots in artifacts/e2e/)"
