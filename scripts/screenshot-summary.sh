#!/usr/bin/env bash
# Render sample-report's summary/summary.html to a PNG with headless Chromium, to look at the
# page's design (the heatmaps above all) without a browser.
# Usage: scripts/screenshot-summary.sh [OUT.png]   (default docs/summary-screenshot.png)
# Installs Debian's chromium with apt-get when /usr/bin/chromium is missing (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
png="${1:-docs/summary-screenshot.png}"
case "$png" in /*) ;; *) png="$PWD/$png" ;; esac
if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -d "$HOME/.cache/blockscope-target" ]; then
    export CARGO_TARGET_DIR="$HOME/.cache/blockscope-target"
fi
cargo build --release --locked
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# As scripts/run-sample.sh runs it: the sample provider and a fresh copy of the sample state (its
# delisting cases). Exit 3 (some input could not be read) still writes the reports.
cp -r sample-data/state "$work/state"
"${CARGO_TARGET_DIR:-target}/release/blockscope" run --config sample-data/blockscope.toml \
    --logs sample-data/logs --inventory sample-data/inventory.csv --snds sample-data/snds \
    --state "$work/state" --out "$work/report" || [ $? -eq 3 ]
if [ ! -x /usr/bin/chromium ]; then
    apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }
fi
mkdir -p "$(dirname "$png")"
# Offline, throwaway profile: the page must render with no network at all.
/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$work/profile" --window-size="${WINDOW_SIZE:-1400,2400}" \
    --screenshot="$png" "file://$work/report/summary/summary.html" 2>"$work/chromium.log" \
    || { cat "$work/chromium.log" >&2; exit 1; }
echo "wrote $png"
