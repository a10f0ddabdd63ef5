#!/usr/bin/env bash
# Build blockscope and run the nightly job on the committed sample fleet (the README's run command).
# Reports go to ${1:-sample-report}/ (summary/, customers/). The run keeps its state in a fresh
# copy of sample-data/state (two delisting cases) beside them, so every run reads the same nights.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -d "$HOME/.cache/blockscope-target" ]; then
    export CARGO_TARGET_DIR="$HOME/.cache/blockscope-target"
fi
out="${1:-sample-report}"
state="$out.state"
cargo build --release --locked
rm -rf "$state"
cp -r sample-data/state "$state"
exec "${CARGO_TARGET_DIR:-target}/release/blockscope" run --config sample-data/blockscope.toml \
    --logs sample-data/logs --inventory sample-data/inventory.csv --snds sample-data/snds \
    --state "$state" --out "$out"
