#!/usr/bin/env bash
# The Spark merge (merge_partials.py) must write the same ips.csv and subnets.csv as blockscope.
#
#  1. sample-data: ingest it as two log hosts, merge the partials in Spark (local mode), diff
#     against `blockscope run` over all the logs.
#  2. edge cases (needs pyarrow; EDGE=0 skips): hand-made partials with what real logs rarely
#     hold (unknown rules, VPSes and platforms, odd and non-canonical IPs, null cells, formula and
#     control characters, extreme times, prefixes larger than a /24), diff against
#     `blockscope report` over the same partials.
#
#   scripts/spark/test-spark.sh
#
# Env: BLOCKSCOPE (default ${CARGO_TARGET_DIR:-$HOME/.cache/blockscope-target}/release/blockscope),
# PYTHON (default python3: an interpreter with pyspark), KEEP=1 keeps the work directory.
# Skips (exit 0) when pyspark is not importable.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${BLOCKSCOPE:-${CARGO_TARGET_DIR:-$HOME/.cache/blockscope-target}/release/blockscope}
python=${PYTHON:-python3}

if ! "$python" -c 'import pyspark' 2>/dev/null; then
    echo "test-spark.sh: skipped: pyspark not installed (pip install pyspark; Java 17 needed)"
    exit 0
fi
[ -x "$bin" ] || { echo "test-spark.sh: no blockscope binary at $bin (cargo build --release, or set BLOCKSCOPE)" >&2; exit 2; }

work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then
    echo "test-spark.sh: work directory $work"
else
    trap 'rm -rf "$work"' EXIT
fi

# Exit code 3 is "completed with input problems": still a complete report set.
blockscope() {
    "$bin" "$@" || { rc=$?; [ "$rc" = 3 ] || { echo "test-spark.sh: blockscope $1 failed ($rc)" >&2; exit 1; }; }
}

# spark-submit of the interpreter's own pyspark, so PYTHON selects the whole Spark install.
spark_home=$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export PYSPARK_PYTHON=${PYSPARK_PYTHON:-$python}
export PYSPARK_DRIVER_PYTHON=${PYSPARK_DRIVER_PYTHON:-$python}

# merge NAME PARTIALS INVENTORY: run the job into $work/NAME-spark, report its wall time.
merge() {
    local start end
    start=$(date +%s.%N)
    "$spark_home/bin/spark-submit" --master 'local[2]' \
        --conf spark.sql.shuffle.partitions=4 --conf spark.ui.enabled=false \
        "$here/merge_partials.py" --partials "$2" --inventory "$3" \
        --rules "$work/rules.csv" --out "$work/$1-spark" 2> "$work/$1-spark.log" \
        || { tail -n 40 "$work/$1-spark.log" >&2; echo "test-spark.sh: the Spark job failed ($1)" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "spark job ($1): $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s in local[2], JVM start included"
}

# same NAME REF_DIR: diff the job's files against blockscope's.
same() {
    local f status=0
    for f in ips.csv subnets.csv; do
        if ! diff -u "$2/summary/$f" "$work/$1-spark/$f"; then
            echo "test-spark.sh: $1: $f differs from blockscope's" >&2
            status=1
        fi
    done
    [ "$status" = 0 ] || exit 1
}

"$bin" rules --format csv > "$work/rules.csv"

# ---- 1. sample-data, two hosts.
cp -r "$root/sample-data" "$work/data"
# Year-less syslog stamps take their year from the file's mtime: pin it so every command reads
# the same dates.
find "$work/data/logs" -type f -exec touch -d 2026-11-23T00:00:00Z {} +
mkdir -p "$work/host-a" "$work/host-b" "$work/partials"
i=0
for dir in "$work"/data/logs/*/; do
    if [ $((i % 2)) = 0 ]; then host=host-a; else host=host-b; fi
    cp -rp "$dir" "$work/$host/"  # -p keeps the pinned mtimes
    i=$((i + 1))
done
for host in host-a host-b; do
    blockscope ingest -q --logs "$work/$host" --inventory "$work/data/inventory.csv" \
        --out "$work/partials/$host.parquet" --host-id "$host"
done
blockscope run -q --logs "$work/data/logs" --inventory "$work/data/inventory.csv" --out "$work/ref"
merge sample "$work/partials/*.parquet" "$work/data/inventory.csv"
same sample "$work/ref"
echo "spark: ips.csv and subnets.csv match blockscope"

# ---- 2. edge cases.
if [ "${EDGE:-1}" = 0 ]; then
    exit 0
fi
if ! "$python" -c 'import pyarrow' 2>/dev/null; then
    echo "test-spark.sh: edge cases skipped: pyarrow not installed"
    exit 0
fi
mkdir -p "$work/edge/partials"
"$python" - "$work/edge" <<'PY'
import random, sys
import pyarrow as pa, pyarrow.parquet as pq

out = sys.argv[1]
rnd = random.Random(7)
# BOM, comments, blank line, padded cells, a repeated row, a netmask, prefixes wider than the
# neighbourhood, overlapping entries, an IPv4-mapped IPv6 address, a formula-like name.
with open(out + "/inventory.csv", "w", encoding="utf-8") as f:
    f.write("\ufeff# edge inventory\n"
            " customer_id , customer_name,vps_id,ip\n"
            "e1,Edge One,vps-e1-01, 10.20.0.0/16\n"
            "e1,Edge One,vps-e1-01,10.20.0.0/16\n"
            "\n"
            "e2,\"Edge, Two\",vps-e2-01,10.20.5.7\n"
            "# between rows\n"
            "e2,\"Edge, Two\",vps-e2-02,10.30.0.0/255.255.255.0\n"
            "e3,Edge Three,vps-e3-01,2001:db8:aa::/48\n"
            "e3,Edge Three,vps-e3-01,2001:db8:bb::/64\n"
            "e3,Edge Three,vps-e3-02,2001:db8:bb::7\n"
            "e4,Edge Four,vps-e4-01,::ffff:10.40.0.1\n"
            "e4,Edge Four,vps-e4-01,10.40.0.0/28\n"
            "e5,=Five,vps-e5-01,10.20.5.0/30\n"
            "e6,Six,vps-e6-01,10.50.0.0/23\n")

IPS = ["10.20.5.7", "10.20.5.8", "10.20.5.1", "10.20.9.1", "10.30.0.5", "10.30.1.5", "10.99.0.1",
       "10.50.1.9", "2001:db8:bb::7", "2001:DB8:BB:0:0:0:0:8", "2001:db8:aa:1::1",
       "::ffff:10.40.0.1", "10.40.0.3", None, "", "garbage", "010.0.0.1", "1.2.3.4%eth0",
       "2001:db8:cc::1", "::", "::1", "2001:0:0:1:0:0:0:1", "2001:db8::ffff:0:1"]
VPSES = ["vps-e1-01", "vps-e2-01", "vps-e2-02", "vps-e3-01", "vps-e3-02", "vps-e4-01",
         "vps-e5-01", "vps-e6-01", "vps-unknown", None]
RULES = ["dnsbl-barracuda", "cloudmark-csi", "cox-ip-blocked", "gmail-low-ip-reputation-blocked",
         "ms-outlook-network-blocklist", "gmail-unsolicited-rate-limited", "mailbox-full",
         "greylisted", "ms-o365-banned-ip", "unclassified", "no-such-rule", None,
         "gmail-missing-ptr", "dnsbl-spamhaus"]
PLATFORMS = ["outlook.com", "office365", "gmail", "yahoo", "other", "unknown", "weird", None, ""]
CODES = [None, "", "4.7.1", "550", "5.1.1", "x", "-5", "4;5", "421"]
RRIDS = [None, "", "S3140", "AS(1430)", "=1"]
SOURCES = ["mta_interface", "reply", "syslog_name", "inventory_single", "unknown", "snds",
           "bogus", None]
BASE = 1794700000000000
# Around chrono's year 0, 9999 and ±262143 limits, and far enough apart to overflow i64 spans.
TIMES = [BASE, BASE + 1, BASE + 86400000000, BASE - 3 * 86400000000 + 5, 0, -1, -86400000001,
         253402300800000000, 253402300799999999, -62167219200000000, -62167219200000001,
         8210266876799999999, 8210266876800000000, -8334601228800000000,
         -8334601228800000001, -(1 << 63), None]
SAMPLES = ["550 5.7.1 blocked <john.doe@Example.COM> x", "a@b.cd and c@d.ef",
           "\u212a@ex.com kelvin", "\u0130@ex.com dotted", "=SUM(A1)", "-1 minus", "+plus",
           "@at", "\tTab", "\rCR", "line\nbreak", "ctl\x01\x7f\x85 end", 'quote "x", comma',
           " leading space", "ünïcödé ✓", "", "a@b.c", "user@sub.domain.co.uk,other@x.io",
           "x@-y.com", None, "same text"]
COLUMNS = [("kind", pa.string()), ("host_id", pa.string()), ("day", pa.string()),
           ("vps_id", pa.string()), ("ip", pa.string()), ("ip_source", pa.string()),
           ("rule_id", pa.string()), ("platform", pa.string()), ("code", pa.string()),
           ("receiver_rule_id", pa.string()), ("events", pa.uint64()), ("first", pa.int64()),
           ("last", pa.int64()), ("sample_time", pa.int64()), ("sample", pa.string()),
           ("sent", pa.uint64()), ("deferred", pa.uint64()), ("bounced", pa.uint64()),
           ("reply", pa.string()), ("ips", pa.string()), ("name", pa.string()),
           ("value", pa.uint64()), ("line", pa.uint64()), ("reason", pa.string()),
           ("pending", pa.string())]
# What a cell as logged waits for (null: decided); odd combinations on purpose.
PENDING = [None, None, None, "quoted", "v4", "v6", "any"]

def write(name, rows, extra_column=False):
    arrays = [pa.array([r.get(n) for r in rows], type=t) for n, t in COLUMNS]
    names = [n for n, _ in COLUMNS]
    if extra_column:  # a later schema's column: readers ignore it
        arrays.append(pa.array(["x"] * len(rows)))
        names.append("future_column")
    pq.write_table(pa.Table.from_arrays(arrays, names=names), "%s/partials/%s.parquet" % (out, name))

def meta(host):
    return {"kind": "meta", "host_id": host, "name": "schema_version", "value": 2}

def event(host, vps, ip, rule, platform, code, source, events, first, last, sample_time, sample):
    return {"kind": "event", "host_id": host, "day": "2026-11-12", "vps_id": vps, "ip": ip,
            "ip_source": source, "rule_id": rule, "platform": platform, "code": code,
            "events": events, "first": first, "last": last, "sample_time": sample_time,
            "sample": sample}

def activity(host, vps, ip):
    return {"kind": "activity", "host_id": host, "day": "2026-11-12", "vps_id": vps, "ip": ip,
            "sent": rnd.randint(0, 5), "deferred": rnd.randint(0, 3), "bounced": rnd.choice([None, 0, 1])}

c = rnd.choice
for f in range(3):
    host = "h%d" % f
    rows = [meta(host)]
    for _ in range(150):
        t = c(TIMES[:4])
        e = event(host, c(VPSES), c(IPS), c(RULES), c(PLATFORMS), c(CODES), c(SOURCES),
                  c([None, 1, 2, 7, 1000]), c(TIMES), c(TIMES), c([t, t, None]), c(SAMPLES))
        e["receiver_rule_id"] = c(RRIDS)
        e["pending"] = c(PENDING)
        rows.append(e)
    rows += [dict(activity(host, c(VPSES), c(IPS)), pending=c(PENDING)) for _ in range(60)]
    write(host, rows, extra_column=(f == 1))

# One subnet per verdict.
ev = lambda vps, ip, rule, platform="gmail": event(
    "fixed", vps, ip, rule, platform, "5.7.1", "reply", 1, BASE, BASE + 3, BASE, "x")
write("fixed", [meta("fixed"),
    ev("vps-e6-01", "10.50.0.9", "gmail-low-ip-reputation-blocked"),   # single_customer
    ev("vps-e6-01", "10.50.0.10", "gmail-low-ip-reputation-blocked"),
    ev("vps-e1-01", "10.60.0.1", "dnsbl-spamhaus", "yahoo"),           # neighbourhood: one DNSBL
    ev("vps-e2-01", "10.60.0.2", "dnsbl-spamhaus", "gmail"),           #   blocks two customers
    ev("vps-e1-01", "10.61.0.1", "gmail-low-ip-reputation-blocked"),   # single_ip
    activity("fixed", "vps-e1-01", "10.62.0.1"),                       # clear
    activity("fixed", "vps-e3-01", "10.62.0.2")])
PY
echo "not a partial" > "$work/edge/partials/README.txt"  # a directory means its *.parquet only
blockscope report -q --partials "$work/edge/partials" --inventory "$work/edge/inventory.csv" \
    --out "$work/edge/ref"
merge edge "$work/edge/partials" "$work/edge/inventory.csv"
same edge "$work/edge/ref"
for v in single_customer neighbourhood single_ip clear; do
    grep -q ",$v," "$work/edge/ref/summary/subnets.csv" || { echo "test-spark.sh: edge data lacks a $v subnet" >&2; exit 1; }
done
echo "spark: edge cases match blockscope report"
