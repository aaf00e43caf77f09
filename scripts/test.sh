#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test (real SQLite files, a real `crm`
# process killed with SIGKILL, seeded randomised convergence). This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Builds are reused across runs from a target directory outside the clone.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fieldcrm-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
