#!/usr/bin/env bash
# DNSBL lookups (issue 21): `blockscope dnsbl` on a 10,000-address inventory, three zones
# (30,000 queries), against the scripted DNS server on 127.0.0.1 that the test starts; no
# packet leaves the machine. A benchmark, not a timed test: it prints the time, and
# docs/performance.md ("DNSBL lookups") records it.
#
#   scripts/bench-dnsbl.sh [CONCURRENCY [RATE]]     default: 32 (the default) and 10000/s per zone
#
# The rate default of a real run (500/s per zone) would make this measure the pacing (20 s a
# zone), not the engine; give 500 to see exactly that.
set -euo pipefail

cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/blockscope-target}
DNSBL_CONCURRENCY=${1:-32} DNSBL_RATE=${2:-10000} \
    cargo test --release --locked --test blockscope dnsbl::bench_10000_addresses -- --ignored --nocapture \
    2>&1 | grep -E '^(bench dnsbl|dnsbl:|test result)'
