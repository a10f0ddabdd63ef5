#!/usr/bin/env bash
# Run the whole test suite (the README's test command; .ci/run calls exactly this).
# Release profile: the main job builds it too, so one (heavy, polars) build serves both.
set -euo pipefail
cd "$(dirname "$0")/.."
# Reuse a build cache outside the clone when there is one (CI clones afresh every run).
if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -d "$HOME/.cache/blockscope-target" ]; then
    export CARGO_TARGET_DIR="$HOME/.cache/blockscope-target"
fi
cargo test --release --locked "$@"
# The Spark merge against blockscope's own reports (skips with a message without pyspark).
BLOCKSCOPE="${CARGO_TARGET_DIR:-target}/release/blockscope" bash scripts/spark/test-spark.sh
# The Debian package: contents, install, units, and the timer's unit running the sample job.
bash scripts/test-package.sh
