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
# The Spark merge against blockscope's own reports, with pyspark and pyarrow from a virtualenv
# kept outside the clone (like the build cache) and rebuilt when the pinned versions change.
venv=$HOME/.cache/blockscope-venv
requirements=scripts/spark/requirements.txt
if ! cmp -s "$requirements" "$venv/requirements.txt"; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
fi
PYTHON="$venv/bin/python" BLOCKSCOPE="${CARGO_TARGET_DIR:-target}/release/blockscope" \
    bash scripts/spark/test-spark.sh
# The Debian package: contents, install, units, and the timer's unit running the sample job.
bash scripts/test-package.sh
