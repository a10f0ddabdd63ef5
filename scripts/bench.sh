#!/usr/bin/env bash
# Whole-run benchmark: blockscope vs pflogsumm, one rg pass and zcat on the same corpus.
#
#   scripts/bench.sh [SIZE_MB ...]        default: 1000 5000
#
# Needs hyperfine, pflogsumm, ripgrep and GNU time (Debian: apt install hyperfine pflogsumm
# ripgrep time). Corpora (scripts/gen-bench-corpus.py, deterministic) are cached in
# $BENCH_DIR (default /tmp/blockscope-bench); results go to $BENCH_DIR/results-<size>.md and are
# printed. docs/performance.md holds the table of the last full run on the reference machine.
set -euo pipefail

cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 5000)
bench_dir=${BENCH_DIR:-/tmp/blockscope-bench}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/blockscope-target}
runs=${BENCH_RUNS:-3}

for tool in hyperfine pflogsumm rg /usr/bin/time python3; do
    command -v "$tool" >/dev/null || { echo "bench.sh: $tool is missing (apt install hyperfine pflogsumm ripgrep time)" >&2; exit 2; }
done

cargo build --release --locked --quiet
bin=$CARGO_TARGET_DIR/release/blockscope
# Reports go to memory by default: creating thousands of small files costs whatever the file
# system makes it cost (on this VM's journal-less ext4, ~150 us per create), not blockscope.
# BENCH_OUT=/var/tmp measures a disk.
out=$(mktemp -d -p "${BENCH_OUT:-/dev/shm}")
trap 'rm -rf "$out"' EXIT
# Lines a delivery report must look at, for the rg floor: Postfix/Sendmail/OpenSMTPD/Exim results.
pattern='status=|stat=|result=| => | \*\* | == '

for size in "${sizes[@]}"; do
    plain=$bench_dir/${size}mb
    gz=$bench_dir/${size}mb-gz
    [ -f "$plain/inventory.csv" ] || python3 scripts/gen-bench-corpus.py --size-mb "$size" --out "$plain"
    [ -f "$gz/inventory.csv" ] || python3 scripts/gen-bench-corpus.py --size-mb "$size" --out "$gz" --gzip
    # pflogsumm reads Postfix logs only: the Postfix VPSes' files, concatenated once.
    if [ ! -f "$plain/postfix-part.log" ]; then
        rg -l --null 'postfix/' "$plain/logs" | sort -z | xargs -0 cat > "$plain/postfix-part.log"
    fi
    total_bytes=$(find "$plain/logs" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.0f\n", s}')
    postfix_bytes=$(stat -c %s "$plain/postfix-part.log")
    cmd() { echo "$bin run --logs $1/logs --inventory $1/inventory.csv --snds $1/snds --out $out/r --threads $2 -q"; }
    # Exit 3 is a complete run with input problems (the corpus's identical copies of a file in
    # several VPS directories are reported as duplicates): the reports are written, so it counts.
    run() { echo "$(cmd "$1" "$2") || [ \$? -eq 3 ]"; }
    json=$bench_dir/results-${size}.json
    # Warm the page cache so every tool reads from memory.
    cat "$plain/postfix-part.log" > /dev/null
    find "$plain/logs" "$gz/logs" -type f -print0 | xargs -0 cat > /dev/null
    hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$json.main" \
        -n "blockscope --threads 1" "$(run "$plain" 1)" \
        -n "blockscope --threads 2" "$(run "$plain" 2)" \
        -n "rg, 1 thread" "rg -j1 -c --no-filename '$pattern' $plain/logs > /dev/null" \
        -n "rg, 2 threads" "rg -j2 -c --no-filename '$pattern' $plain/logs > /dev/null" \
        -n "blockscope gz --threads 1" "$(run "$gz" 1)" \
        -n "blockscope gz --threads 2" "$(run "$gz" 2)" \
        -n "zcat > /dev/null" "find $gz/logs -type f -print0 | xargs -0 zcat > /dev/null"
    hyperfine --style basic --runs 1 --export-json "$json.pflogsumm" \
        -n "pflogsumm (Postfix part)" "pflogsumm $plain/postfix-part.log > /dev/null 2>&1"
    # The last line GNU time writes is %M (a run ending with exit 3 adds a line before it).
    rss() { { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null || true; } | tail -1; }
    rss1=$(rss $(cmd "$plain" 1))
    rss2=$(rss $(cmd "$plain" 2))
    rss_gz=$(rss $(cmd "$gz" 2))
    rss_pf=$(rss pflogsumm "$plain/postfix-part.log")
    python3 - "$json" "$size" "$total_bytes" "$postfix_bytes" "$rss1" "$rss2" "$rss_gz" "$rss_pf" <<'PY' | tee "$bench_dir/results-${size}.md"
import json, sys
base, size, total, pfbytes, rss1, rss2, rssgz, rsspf = sys.argv[1:]
total, pfbytes = int(total), int(pfbytes)
res = {r["command"]: r for f in (".main", ".pflogsumm") for r in json.load(open(base + f))["results"]}
t = {k: v["median"] for k, v in res.items()}
mbs = lambda b, s: b / 1e6 / s
print(f"### {int(size)/1000:g} GB corpus ({total/1e6:.0f} MB of log text; Postfix part {pfbytes/1e6:.0f} MB)\n")
print("| command | median s | MB/s | max RSS |")
print("|---|---:|---:|---:|")
rss = {"blockscope --threads 1": rss1, "blockscope --threads 2": rss2, "blockscope gz --threads 2": rssgz,
       "pflogsumm (Postfix part)": rsspf}
for name, s in t.items():
    b = pfbytes if name.startswith("pflogsumm") else total
    r = f"{int(rss[name]) / 1024:.0f} MiB" if name in rss else ""
    print(f"| {name} | {s:.2f} | {mbs(b, s):.0f} | {r} |")
pf = mbs(pfbytes, t["pflogsumm (Postfix part)"])
print()
print(f"- blockscope (1 thread) vs pflogsumm throughput: **{mbs(total, t['blockscope --threads 1']) / pf:.0f}x**; 2 threads: **{mbs(total, t['blockscope --threads 2']) / pf:.0f}x**")
print(f"- plain: blockscope --threads 2 takes {t['blockscope --threads 2'] / t['rg, 2 threads']:.1f}x rg -j2's time (issue 19's target: 2x); 1 thread {t['blockscope --threads 1'] / t['rg, 1 thread']:.1f}x rg -j1")
print(f"- gz: blockscope --threads 2 takes {t['blockscope gz --threads 2'] / t['zcat > /dev/null']:.2f}x zcat's time (issue 19's target: 1.3x); 1 thread {t['blockscope gz --threads 1'] / t['zcat > /dev/null']:.2f}x")
print(f"- --threads 2 speed-up: {t['blockscope --threads 1'] / t['blockscope --threads 2']:.2f}x (target 1.8x); max RSS target 150 MiB")
PY
done
