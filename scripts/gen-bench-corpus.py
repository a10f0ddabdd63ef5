#!/usr/bin/env python3
"""Generate a benchmark corpus by scaling sample-data to a fleet of thousands of VPSes.

    python3 scripts/gen-bench-corpus.py --size-mb 1000 --out /tmp/blockscope-bench/1000mb [--gzip]

Every copy k of the 31-VPS sample fleet (Postfix, Exim, OpenSMTPD, Sendmail; ~95 % normal
traffic and noise, a few % rejections of every rule class) gets its own VPS ids, customer ids
and sending addresses (the sample's three /24s and its IPv6 /48 moved to distinct ranges per
copy), so the number of distinct (IP, rule) keys grows with the fleet as it would in life.
Each copy's syslog HOSTNAME gets a `-k<k>` suffix and Exim's queue-run pids move by k, so no
two VPSes' files are byte-identical (in a real fleet they never are; identical files would be
read once, as duplicates).
Receivers' addresses are left alone.

Writes <out>/logs/<vps>-k<k>/..., <out>/inventory.csv and <out>/snds/*.csv. With --gzip every
log file is written gzip-compressed (level 6, mtime 0). Deterministic: no randomness at all;
file mtimes are fixed at 2026-11-22 00:00 UTC so year-less timestamps resolve the same way.
"""

import argparse
import csv
import gzip
import os
import re
import sys
from pathlib import Path

MTIME = 1795305600  # 2026-11-22T00:00:00Z


def remap(k):
    """Byte replacements moving the sample's sending ranges to copy k's own ranges."""
    hi, lo = 44 + (k >> 8), (k & 255)
    # Three /24s per copy: 44+.lo.{0,1,2}. hi wraps into 45.., 46.. for big fleets.
    return [
        (b"192.0.2.", b"%d.%d.%d." % (hi, lo, 0)),
        (b"198.51.100.", b"%d.%d.%d." % (hi, lo, 1)),
        (b"203.0.113.", b"%d.%d.%d." % (hi, lo, 2)),
        (b"2001:db8:", b"2001:%x:" % (0xDB8 + k)),
    ]


# The HOSTNAME after an RFC 3164 or RFC 3339 syslog timestamp (Exim's mainlog has none).
HOST = re.compile(rb"^((?:[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2})|(?:[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+)) ([^ ]+) ", re.M)

# Exim's `Start queue run: pid=N` lines (noise): the mainlog's only per-host text besides addresses.
QUEUE_RUN = re.compile(rb"queue run: pid=([0-9]+)")


# A syslog line's `prog[pid]: `.
PID = re.compile(rb"\[([0-9]+)\]: ")


def apply(data, pairs, k=None, generation=0):
    for a, b in pairs:
        data = data.replace(a, b)
    if k is not None:
        data = HOST.sub(lambda m: b"%s %s-k%d " % (m.group(1), m.group(2), k), data)
        data = QUEUE_RUN.sub(lambda m: b"queue run: pid=%d" % (int(m.group(1)) + 7 * k + generation), data)
    if generation:
        # Extra generations of a file are other processes' lines, not copies (copies are read once).
        data = PID.sub(lambda m: b"[%d]: " % (int(m.group(1)) + 100000 * generation), data)
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", default=str(Path(__file__).resolve().parent.parent / "sample-data"))
    ap.add_argument("--size-mb", type=int, required=True, help="approximate uncompressed log size")
    ap.add_argument("--out", required=True)
    ap.add_argument("--gzip", action="store_true", help="write every log gzip-compressed")
    ap.add_argument("--max-copies", type=int, default=192,
                    help="fleet size cap in sample-fleet copies (192 = 5,952 VPSes); beyond it each "
                         "VPS gets more log volume instead (extra generations: the same lines from "
                         "other pids), so a bigger corpus has more lines but the same (IP, rule) keys")
    args = ap.parse_args()

    sample = Path(args.sample)
    logs = []  # (vps, relative path inside the vps dir without .gz, bytes)
    for path in sorted((sample / "logs").rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(sample / "logs")
        vps, inner = rel.parts[0], Path(*rel.parts[1:])
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
            inner = inner.with_suffix("") if inner.suffix == ".gz" else inner
        logs.append((vps, inner, data))
    fleet_bytes = sum(len(d) for _, _, d in logs)
    wanted = max(1, round(args.size_mb * 1_000_000 / fleet_bytes))
    copies = min(wanted, args.max_copies)
    repeats = -(-wanted // copies)

    out = Path(args.out)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    (out / "snds").mkdir(parents=True, exist_ok=True)
    with open(sample / "inventory.csv", newline="") as f:
        inventory = list(csv.reader(f))
    snds = {p.name: p.read_bytes() for p in sorted((sample / "snds").glob("*.csv"))}
    total = 0
    with open(out / "inventory.csv", "w", newline="") as f:
        inv = csv.writer(f, lineterminator="\n")
        inv.writerow(inventory[0])
        for k in range(copies):
            pairs = remap(k)
            for cust, name, vps, ip in inventory[1:]:
                ip = apply(ip.encode(), pairs).decode()
                inv.writerow(["%s-k%d" % (cust, k), name, "%s-k%d" % (vps, k), ip])
    for k in range(copies):
        pairs = remap(k)
        for (vps, inner, data), r in ((l, r) for l in logs for r in range(repeats)):
            if k * repeats + r >= wanted and r > 0:
                continue
            name = inner if r == 0 else inner.with_name("%s.extra%d" % (inner.name, r))
            target = out / "logs" / ("%s-k%d" % (vps, k)) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            body = apply(data, pairs, k, r)
            total += len(body)
            if args.gzip:
                target = target.with_name(target.name + ".gz")
                with open(target, "wb") as f:
                    with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=6, mtime=0) as gz:
                        gz.write(body)
            else:
                target.write_bytes(body)
            os.utime(target, (MTIME, MTIME))
    for name, data in snds.items():
        lines = data.splitlines(keepends=True)
        with open(out / "snds" / name, "wb") as f:
            for k in range(copies):
                pairs = remap(k)
                for i, line in enumerate(lines):
                    if k > 0 and i == 0 and line.startswith(b"IP Address"):
                        continue  # one header per file
                    f.write(apply(line, pairs))
    print("%s: %d copies of the %d-VPS sample fleet (x%d volume), %d VPS dirs, %.1f MB of log text%s"
          % (out, copies, len({v for v, _, _ in logs}), repeats, copies * len({v for v, _, _ in logs}),
             total / 1e6, " (gzip)" if args.gzip else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
