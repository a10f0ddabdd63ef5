#!/usr/bin/env bash
# Build blockscope and run the nightly job on the committed sample fleet (the README's run command).
# Reports go to ${1:-sample-report}/ (summary/, customers/).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -d "$HOME/.cache/blockscope-target" ]; then
    export CARGO_TARGET_DIR="$HOME/.cache/blockscope-target"
fi
out="${1:-sample-report}"
cargo build --release --locked
exec "${CARGO_TARGET_DIR:-target}/release/blockscope" run --config sample-data/blockscope.toml \
    --logs sample-data/logs --inventory sample-data/inventory.csv --snds sample-data/snds --out "$out"
