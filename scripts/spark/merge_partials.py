#!/usr/bin/env python3
"""Merge blockscope Parquet partials with Spark into ips.csv and subnets.csv.

    spark-submit scripts/spark/merge_partials.py --partials 'DIR_OR_GLOB' \
        --inventory inventory.csv --rules rules.csv --out OUTDIR \
        [--ipv4-prefix 24] [--ipv6-prefix 64] [--recipient-detail domain|full]

The output is byte for byte what `blockscope run` (or `blockscope report --partials`) writes as
summary/ips.csv and summary/subnets.csv without --snds and --state. The partial format is
docs/partials.md; `rules.csv` is `blockscope rules --format csv [--rules FILE]` with the same
rule file the hosts ingested with. The Rust code is the specification: src/aggregate/
(rows.rs ip_rows, subnets.rs subnet_rows, blockers.rs), src/report/{ips,subnets,cells,mod}.rs,
src/attribute/, src/classify/.

Group-bys run in Spark; the inventory (longest-prefix match) and the rule table are small and
travel as broadcast Python data. The CSVs are written by the driver from sorted rows, so they
are single files in report order.
"""

import argparse
import csv
import io
import ipaddress
import os
import re
import sys

from pyspark.errors import AnalysisException
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

SCHEMA_VERSION = 2

# IpSource in src/model/ip_source.rs: the list index is the rank (best first).
IP_SOURCES = ["mta_interface", "reply", "syslog_name", "inventory_single", "unknown", "snds",
              "reply_sibling_vps", "reply_other_customer"]
UNKNOWN_SOURCE_RANK = 4
# An address quoted in another customer's logs: attributed to no one, in no verdict
# (`row_owner` in src/aggregate/mod.rs, docs/security.md).
OTHER_CUSTOMER = "reply_other_customer"
OTHER_CUSTOMER_RANK = IP_SOURCES.index(OTHER_CUSTOMER)

# Platform names a partial may carry (`PLATFORMS` in src/classify/platform.rs, in its order);
# `platform::intern` reads anything else back as `other`.
PLATFORMS = [
    "outlook.com", "office365", "microsoft", "office365-submission", "outlook.com-submission",
    "gmail", "gmail-submission", "yahoo", "yahoo-submission", "icloud", "gmx-webde-ionos",
    "t-online", "comcast", "cox", "spectrum", "earthlink", "att", "orange", "free", "laposte",
    "sfr", "yandex", "mail.ru", "seznam", "bluewin", "mimecast", "proofpoint", "cisco-ironport",
    "barracuda", "hornetsecurity", "other", "unknown",
]

# Class::is_block in src/classify/rules.rs.
BLOCK_CLASSES = ["ip_block", "network_block", "dnsbl"]

# The pseudo-rule for replies no rule matched (UNCLASSIFIED in rules.rs), which the catalogue
# CSV does not list: (class, permanence, delist route).
UNCLASSIFIED = ("unclassified", "by reply code", "")

IPS_HEADER = [
    "ip", "subnet", "customer_id", "vps_id", "in_inventory", "platform", "rule_id", "class",
    "code", "events", "first_seen", "last_seen", "delist_route", "ip_source", "sample_reply",
    "permanence", "receiver_rule_id", "snds_filter", "snds_complaint_rate", "snds_trap_hits",
    "snds_blocked", "snds_reason", "snds_days", "status", "days_blocked",
]
SUBNETS_HEADER = [
    "subnet", "inventory_ips", "active_ips", "blocked_ips", "customers", "blocked_customers",
    "platforms", "verdict", "throttled_ips", "rule_ids", "snds_blocked_ips", "snds_red_ips",
    "suspect_ips", "blocked_by",
]


class Fail(Exception):
    """A problem with the input, reported in one line (exit code 2, as blockscope's)."""


# ---------------------------------------------------------------------------------------------
# Addresses: parsing and text exactly as Rust's std::net and ipnetwork.


def parse_ip(text):
    """An address as Rust's `IpAddr::from_str` accepts it (no zone ids), else None."""
    if not text or "%" in text or text != text.strip():
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def ip_text(version, value):
    """Rust's Display for Ipv4Addr/Ipv6Addr (RFC 5952; IPv4-mapped as ::ffff:a.b.c.d)."""
    if version == 4:
        return str(ipaddress.IPv4Address(value))
    if value >> 32 == 0xFFFF:
        return "::ffff:" + str(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    groups = [(value >> (112 - 16 * i)) & 0xFFFF for i in range(8)]
    # The first longest run of two or more zero groups becomes "::".
    best, run_start, run_len, best_start = 0, 0, 0, 0
    for i, g in enumerate(groups):
        if g == 0:
            if run_len == 0:
                run_start = i
            run_len += 1
            if run_len > best:
                best, best_start = run_len, run_start
        else:
            run_len = 0
    hexes = ["%x" % g for g in groups]
    if best < 2:
        return ":".join(hexes)
    return ":".join(hexes[:best_start]) + "::" + ":".join(hexes[best_start + best:])


def ip_sort_key(version, value):
    """`IpOrder` in src/aggregate/rows.rs: IPv4 before IPv6, numerically."""
    return ("4%08x" % value) if version == 4 else ("6%032x" % value)


def mask(bits, length):
    return 0 if length == 0 else ((1 << bits) - 1) ^ ((1 << (bits - length)) - 1)


def subnet_of(version, value, v4, v6):
    """(subnet text, its sort key) as `subnet_of` names the neighbourhood of an address."""
    bits, length = (32, v4) if version == 4 else (128, v6)
    net = value & mask(bits, length)
    return "%s/%d" % (ip_text(version, net), length), ip_sort_key(version, net)


def parse_u8(text):
    """Rust's `u8::from_str`: an optional '+', then decimal digits."""
    if not re.fullmatch(r"\+?[0-9]+", text):
        return None
    n = int(text)
    return n if n <= 255 else None


def parse_network(text):
    """ipnetwork's `IpNetwork::from_str`: (version, network int, prefix) or None."""
    addr, slash, prefix_text = text.partition("/")
    if "/" in prefix_text:
        return None
    ip = parse_ip(addr)
    if ip is None:
        return None
    bits = 32 if ip.version == 4 else 128
    netmask = parse_ip(prefix_text) if ip.version == 4 else None
    if not slash:
        prefix = bits
    elif netmask is not None and netmask.version == 4:
        m = int(netmask)  # contiguous ones only
        prefix = 32 - (~m & 0xFFFFFFFF).bit_length()
        if m != mask(32, prefix):
            return None
    else:
        prefix = parse_u8(prefix_text)
        if prefix is None or prefix > bits:
            return None
    return ip.version, int(ip), prefix


def mapped_v4(value):
    """`Ipv6Addr::to_ipv4_mapped`: the IPv4 address ::ffff:a.b.c.d maps, else None."""
    return value & 0xFFFFFFFF if value >> 32 == 0xFFFF else None


def unmapped(version, value, prefix):
    """`unmapped` in src/attribute/inventory.rs: ::ffff:198.51.100.0/120 is 198.51.100.0/24
    (lookups unmap addresses, so inventory rows must too)."""
    if version == 6 and prefix >= 96 and mapped_v4(value) is not None:
        return 4, mapped_v4(value), prefix - 96
    return version, value, prefix


def split_range(start, end, bits):
    """`split` in src/attribute/cidr.rs: the aligned blocks (start, prefix) covering
    start..=end, fewest first-to-last."""
    out = []
    while True:
        # Largest block aligned at `start` that does not pass `end`.
        size_log = bits if start == 0 else min((start & -start).bit_length() - 1, bits)
        while size_log > 0 and start + (1 << size_log) - 1 > end:
            size_log -= 1
        out.append((start, bits - size_log))
        following = start + (1 << size_log)
        if size_log == bits or following > end:
            return out
        start = following


# ---------------------------------------------------------------------------------------------
# Inventory and rules (driver side, small).

# Rust's char::is_whitespace, which csv's Trim::All uses (Python's strip() takes a few more).
RUST_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
ID_RE = re.compile(r"[A-Za-z0-9._-]+")
INVENTORY_COLUMNS = ("customer_id", "customer_name", "vps_id", "ip")


def read_text(spark, path):
    """A small file from a local path or any URI Spark can read (s3a://, hdfs://, ...)."""
    if "://" in path and not path.startswith("file://"):
        files = spark.sparkContext.wholeTextFiles(path).collect()
        if len(files) != 1:
            raise Fail("%s: expected one file, found %d" % (path, len(files)))
        return files[0][1]
    with open(path[len("file://"):] if path.startswith("file://") else path,
              encoding="utf-8", newline="") as f:
        return f.read()


def check_id(path, line, what, value):
    # validate_id in src/attribute/inventory.rs: ids become file names.
    if (not value or len(value) > 128 or value[0] in ".-" or not ID_RE.fullmatch(value)):
        raise Fail("%s:%d: %s %r is not a valid id (letters, digits, '.', '_', '-')"
                   % (path, line, what, value))


class Inventory:
    """`Inventory::from_reader`: entries in file order, duplicates of a row dropped."""

    def __init__(self, path, text):
        # '#' lines are comments; blanking them keeps line numbers for messages.
        lines = ["\n" if l.startswith("#") else l
                 for l in io.StringIO(text.lstrip("\ufeff"), newline="")]
        reader = csv.reader(lines)
        records = [(reader.line_num, [c.strip(RUST_WHITESPACE) for c in rec])
                   for rec in reader if rec]
        if not records:
            raise Fail("%s: empty inventory" % path)
        header = records[0][1]
        missing = [c for c in INVENTORY_COLUMNS if c not in header]
        if missing:
            raise Fail("%s: header lacks %s" % (path, ",".join(missing)))
        col = [header.index(name) for name in INVENTORY_COLUMNS]
        host_col = header.index("hostname") if "hostname" in header else None
        # `has_hostnames`: a hostname column with at least one name.
        self.has_hostnames = False
        self.customer_of_vps = {}   # vps_id -> customer_id
        self.entries = []           # (version, network int, prefix, vps_id, customer_id)
        names, seen = {}, {}
        for line, rec in records[1:]:
            if len(rec) != len(header):
                raise Fail("%s:%d: every row needs exactly the header's columns" % (path, line))
            customer, name, vps, ip = (rec[i] for i in col)
            self.has_hostnames |= host_col is not None and rec[host_col] != ""
            check_id(path, line, "customer_id", customer)
            check_id(path, line, "vps_id", vps)
            net = parse_network(ip)
            if net is None:
                raise Fail("%s:%d: ip %r is not an IP address or CIDR" % (path, line, ip))
            net = unmapped(*net)
            version, value, prefix = net
            if value & mask(32 if version == 4 else 128, prefix) != value:
                raise Fail("%s:%d: %s has host bits set" % (path, line, ip))
            if names.setdefault(customer, name) != name:
                raise Fail("%s:%d: customer %s has two names" % (path, line, customer))
            if self.customer_of_vps.setdefault(vps, customer) != customer:
                raise Fail("%s:%d: VPS %s is listed under two customers" % (path, line, vps))
            if net in seen:
                if seen[net] == vps:
                    continue  # the same row twice: harmless
                raise Fail("%s:%d: %s is assigned to two VPSes" % (path, line, ip))
            seen[net] = vps
            self.entries.append((version, value, prefix, vps, customer))
        if not self.entries:
            raise Fail("%s: no inventory rows" % path)

    def index(self):
        """Per family: [(prefix, {network: (vps, customer)})], longest prefix first."""
        tables = {4: {}, 6: {}}
        for version, value, prefix, vps, customer in self.entries:
            tables[version].setdefault(prefix, {})[value] = (vps, customer)
        return {v: sorted(t.items(), reverse=True) for v, t in tables.items()}

    def only_addresses(self):
        """`Inventory::only_address` / `only_address_any`: (vps, family, address text) where
        the VPS has exactly one entry of the family (`v4`, `v6`; `any`: one entry in all) and
        it is a single address."""
        nets = {}
        for version, value, prefix, vps, _customer in self.entries:
            nets.setdefault(vps, []).append((version, value, prefix))
        out = []
        for vps, ns in sorted(nets.items()):
            for family, of in (("v4", [n for n in ns if n[0] == 4]),
                               ("v6", [n for n in ns if n[0] == 6]), ("any", ns)):
                if len(of) == 1 and of[0][2] == (32 if of[0][0] == 4 else 128):
                    out.append((vps, family, ip_text(of[0][0], of[0][1])))
        return out

    def owned_v4(self):
        """`carve_owned` for the IPv4 entries: per entry index, the (network, prefix) blocks it
        really holds (all of it minus the more specific entries inside it). Entries are
        nested or disjoint, so in (first, widest first) order an entry's more specific ones
        follow it; the sweep leaves the gaps it owns (Rust's `carve_owned` order)."""
        spans = {i: (value, value | ((1 << (32 - prefix)) - 1), prefix)
                 for i, (version, value, prefix, _vps, _c) in enumerate(self.entries)
                 if version == 4}
        order = sorted(spans, key=lambda i: (spans[i][0], -spans[i][1], spans[i][2]))
        owned = {}
        for k, i in enumerate(order):
            first, last, _ = spans[i]
            following, blocks = first, []  # following: None once past the end of entry i
            for j in order[k + 1:]:
                first_j, last_j, _ = spans[j]
                if first_j > last:
                    break
                if following is not None and following < first_j:
                    blocks += split_range(following, first_j - 1, 32)
                if following is not None and following <= last_j:
                    following = last_j + 1 if last_j + 1 <= last else None
            if following is not None:
                blocks += split_range(following, last, 32)
            owned[i] = blocks
        return owned

    def shares(self, v4, v6):
        """`add_inventory` / `inventory_share`: (subnet, addresses, customer) rows. IPv4 by the
        addresses each entry owns (overlapping rows count once); IPv6 prefixes count as one
        entry each (their address counts are meaningless)."""
        out = []
        owned = self.owned_v4()
        for i, (version, value, prefix, _vps, customer) in enumerate(self.entries):
            if version == 6:
                if prefix >= v6:
                    out.append((subnet_of(6, value, v4, v6)[0], 1, customer))
                continue
            for block, length in owned[i]:
                if length >= v4:
                    out.append((subnet_of(4, block, v4, v6)[0], 1 << (32 - length), customer))
                    continue
                # A block larger than a neighbourhood: every subnet in it holds a full share.
                step = 1 << (32 - v4)
                for n in range(min(1 << (v4 - length), 65536)):
                    addr = (block + n * step) & 0xFFFFFFFF
                    out.append((subnet_of(4, addr, v4, v6)[0], step, customer))
        return out


def load_rules(path, text):
    """rule id -> (class, permanence, delist_route), from `blockscope rules --format csv`."""
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    if not rows or not {"id", "class", "permanence", "delist_route"} <= set(rows[0]):
        raise Fail("%s: not the output of `blockscope rules --format csv`" % path)
    rules = {}
    for r in rows:
        rules.setdefault(r["id"], (r["class"], r["permanence"], r["delist_route"]))
    rules.setdefault("unclassified", UNCLASSIFIED)
    return rules


# ---------------------------------------------------------------------------------------------
# Cell text (driver side, per output row).

# redact_addresses in src/classify/mod.rs. Rust's (?i)[a-z] also matches U+017F and U+212A by
# simple case folding; Python's IGNORECASE would add U+0130 and U+0131 too, so spell it out.
_L = "a-zA-Z\u017f\u212a"
ADDRESS = re.compile(r"[%s0-9._%%+=!#$&'*/?^`{|}~-]+@((?:[%s0-9-]+\.)+[%s]{2,})" % (_L, _L, _L))


# Receivers' own instruction mailboxes (RECEIVER_DOMAINS, RECEIVER_MAILBOXES in
# src/classify/mod.rs): part of the receiver's text, never a recipient, so they stay whole.
RECEIVER_DOMAINS = ("messaging.microsoft.com", "rx.t-online.de", "abuse.earthlink.net",
                    "abuse-att.net")
RECEIVER_MAILBOXES = ("delist@microsoft.com", "icloudadmin@apple.com",
                      "delist-request@proofpoint.com")
# Rust compares with to_ascii_lowercase / eq_ignore_ascii_case: str.lower() would also fold
# the non-ASCII letters ADDRESS accepts (U+017F, U+212A).
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def is_receiver_mailbox(address, domain):
    """`is_receiver_mailbox`: one of the mailboxes, or any address at (a sub-domain of) one of
    the domains."""
    domain = domain.translate(_ASCII_LOWER)
    return (address.translate(_ASCII_LOWER) in RECEIVER_MAILBOXES
            or any(domain == d or domain.endswith("." + d) for d in RECEIVER_DOMAINS))


def redact(reply):
    """`redact_addresses`: recipients cut to their domain, receivers' mailboxes kept whole."""
    if "@" not in reply:
        return reply
    return ADDRESS.sub(lambda m: m.group(0) if is_receiver_mailbox(m.group(0), m.group(1))
                       else "*@" + m.group(1), reply)


def permanence_of_codes(permanence, codes):
    """`permanence_of_codes`: the rule's permanence, or per code its first digit (a row without
    a code: `unknown`). `codes` is the row's list of codes, not the joined cell: a code may hold
    a ';' itself."""
    if permanence != "by reply code":
        return permanence
    found = {"temporary" if c.startswith("4") else "permanent" if c.startswith("5") else "unknown"
             for c in codes or [""]}
    return ";".join(sorted(found))


def days_blocked(first, last):
    """`state::days`: whole days from first to last, counting both ends."""
    if first == -(1 << 63) or last < first:
        return 0
    # Release builds wrap on overflow (times ~290,000 years apart): i64 subtraction, truncating
    # division, `as u64`, + 1, all modulo 2^64.
    span = (last - first + (1 << 63)) % (1 << 64) - (1 << 63)
    days = abs(span) // 86_400_000_000 * (1 if span >= 0 else -1)
    return (days + 1) % (1 << 64)


def civil(days):
    """(year, month, day) of a day number since 1970-01-01 (proleptic Gregorian, any year)."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


def iso(micros):
    """`format_utc`: chrono's %Y-%m-%dT%H:%M:%SZ, empty outside chrono's date range."""
    secs = micros // 1_000_000
    days, rem = divmod(secs, 86400)
    y, mo, d = civil(days)
    if not -262143 <= y <= 262142:
        return ""
    year = ("%04d" % y) if 0 <= y <= 9999 else ("%+05d" % y)
    return "%s-%02d-%02dT%02d:%02d:%02dZ" % (year, mo, d, rem // 3600, rem // 60 % 60, rem % 60)


# char::is_control (Unicode Cc), and `text::is_bidi_control` (embeddings, overrides, isolates,
# marks: they would show a reply in another order than written).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def neutralise(cell):
    """`neutralise` in src/report/mod.rs: no spreadsheet formulas, control characters as
    visible \\xNN escapes, bidi controls as U+FFFD."""
    if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        cell = "'" + cell
    cell = _BIDI.sub("\ufffd", cell)
    return _CONTROL.sub(lambda m: "\\x%02x" % ord(m.group()), cell)


def csv_line(cells):
    """One record as the Rust csv crate writes it (QuoteStyle::Necessary, "\\n" terminator).
    Neutralised cells hold no CR/LF, so only ',' and '"' call for quotes."""
    out = []
    for cell in cells:
        cell = neutralise(cell)
        if "," in cell or '"' in cell:
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return ",".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Spark.


def partial_paths(spark, spec):
    """Like `blockscope report`: a directory means its *.parquet files, else a file or a glob."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(spec)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    try:
        if fs.getFileStatus(path).isDirectory():
            return spec.rstrip("/") + "/*.parquet"
    except Exception:  # no such path: a glob (Spark expands it)
        pass
    return spec


IP_ATTRS = T.StructType([
    T.StructField("ip", T.StringType()),
    T.StructField("ip_sort", T.StringType()),
    T.StructField("subnet", T.StringType()),
    T.StructField("subnet_sort", T.StringType()),
    T.StructField("inv_vps", T.StringType()),
    T.StructField("inv_customer", T.StringType()),
])


def holder_of(index, version, value):
    """`Inventory::lookup`: (vps, customer) of the longest prefix holding the address, else
    (None, None). An IPv4-mapped address (dual-stack socket) is looked up as the IPv4 address
    it maps; its own text and neighbourhood stay IPv6."""
    if version == 6 and mapped_v4(value) is not None:
        version, value = 4, mapped_v4(value)
    bits = 32 if version == 4 else 128
    for prefix, table in index[version]:
        hit = table.get(value & mask(bits, prefix))
        if hit is not None:
            return hit
    return (None, None)


def ip_attributes_udf(index_bc, v4, v6):
    """Per address text: canonical text, sort keys, neighbourhood and inventory holder."""

    def attrs(text):
        ip = parse_ip(text)
        if ip is None:
            return None  # unknown sending IP
        version, value = ip.version, int(ip)
        subnet, subnet_sort = subnet_of(version, value, v4, v6)
        return (ip_text(version, value), ip_sort_key(version, value), subnet, subnet_sort) \
            + holder_of(index_bc.value, version, value)

    return F.udf(attrs, IP_ATTRS, useArrow=False)


def as_logged_single(spark, cells, inv):
    """`attribute::resolve::decide` for cells as logged (`pending` not null) without a
    (parseable) address: the VPS's only address of the connection's family stands in
    (`inventory_single`), else `unknown`. Activity rows get the source their `pending` implies
    (`reply` for a quoted address) for `as_logged_tenancy`."""
    singles = F.broadcast(spark.createDataFrame(
        inv.only_addresses() or [("", "none", "")],  # "none": never a family
        "single_vps string, single_family string, single_ip string"))
    parses = F.udf(lambda t: parse_ip(t) is not None, T.BooleanType())
    logged = F.col("pending").isNotNull()
    # A quoted address that does not parse stands in for none, of any family (`Pending` v6 None).
    family = F.when(F.col("pending").isin("v4", "v6"), F.col("pending")).otherwise(F.lit("any"))
    no_ip = logged & ~parses(F.col("ip_text"))
    source = F.when(F.col("kind") == "activity",
                    F.when(F.col("pending") == "quoted", F.lit("reply")).otherwise(F.lit("unknown"))
                    ).otherwise(F.col("ip_source"))
    cells = (cells.withColumn("ip_source", F.when(logged, source).otherwise(F.col("ip_source")))
             .withColumn("no_ip", no_ip).withColumn("family", family)
             .join(singles, (F.col("vps_id") == F.col("single_vps"))
                   & (F.col("family") == F.col("single_family")) & F.col("no_ip"), "left"))
    return (cells
            .withColumn("ip_source", F.when(F.col("no_ip"), F.when(F.col("single_ip").isNotNull(),
                                                                   F.lit("inventory_single"))
                                            .otherwise(F.lit("unknown")))
                        .otherwise(F.col("ip_source")))
            .withColumn("ip", F.when(F.col("no_ip"), F.col("single_ip")).otherwise(F.col("ip")))
            .withColumn("ip_text", F.coalesce(F.col("ip"), F.lit("")))
            .drop("no_ip", "family", "single_vps", "single_family", "single_ip"))


def as_logged_tenancy(cells):
    """`attribute::resolve::decide` for a quoted address as logged, once its holder is known:
    `reply` in its holder's own log (or a log, or of an address, the inventory does not name),
    `reply_sibling_vps` in the log of another VPS of the holder's customer, else
    `reply_other_customer`; an activity row's crossing address becomes null."""
    quoted = (F.col("pending").isNotNull() & (F.col("ip_source") == "reply")
              & F.col("obs_customer").isNotNull() & F.col("inv_vps").isNotNull()
              & (F.col("inv_vps") != F.col("vps_id")))
    crossing = F.when(F.col("inv_customer") == F.col("obs_customer"),
                      F.lit("reply_sibling_vps")).otherwise(F.lit(OTHER_CUSTOMER))
    cells = cells.withColumn("ip_source", F.when(quoted, crossing).otherwise(F.col("ip_source")))
    dropped = ((F.col("kind") == "activity") & F.col("pending").isNotNull()
               & (F.col("ip_source") == OTHER_CUSTOMER))
    return (cells.withColumn("ip", F.when(dropped, F.lit(None)).otherwise(F.col("ip")))
            .withColumn("ip_source", F.when(F.col("kind") == "activity", F.lit(None))
                        .otherwise(F.col("ip_source"))))


# `BlockerId` variants, in their order (no SNDS ranges: this job reads no SNDS data).
RECEIVER, LIST = 0, 1


def subnet_blockers(ip_rows):
    """`blockers_by_subnet` without SNDS: per subnet, an array of (kind, id, class, ips,
    customers), one per blocker. A DNS block list is its own judge (the same listing shows up
    at many receivers), by its rule id; any other block is judged by each receiver platform that
    replied ("" when none did). Unconfirmed rows (`reply_other_customer`) judge nothing."""
    dnsbl = F.col("class") == "dnsbl"
    judged = (ip_rows.where((F.col("ip") != "") & (F.col("ip_source") != OTHER_CUSTOMER_RANK)
                            & F.col("class").isin(BLOCK_CLASSES))
              .select("subnet", "ip", "customer_id", "class",
                      F.when(dnsbl, F.lit(LIST)).otherwise(F.lit(RECEIVER)).alias("kind"),
                      F.explode(F.when(dnsbl, F.array("rule_id"))
                                .otherwise(F.split("platform", ";", -1))).alias("id")))
    per_blocker = (judged.groupBy("subnet", "kind", "id")
                   .agg(F.countDistinct("ip").alias("ips"),
                        F.countDistinct(F.when(F.col("customer_id") != "", F.col("customer_id")))
                        .alias("customers"),
                        # `Blocker::add`: "part of their network" outranks the per-IP rules; a
                        # receiver's other blocks are ip_block, a list's dnsbl.
                        F.when(F.max(F.col("class") == "network_block"), F.lit("network_block"))
                        .otherwise(F.min("class")).alias("class")))
    return (per_blocker.groupBy("subnet")
            .agg(F.collect_list(F.struct("kind", "id", "class", "ips", "customers"))
                 .alias("blockers")))


def says_range(b):
    """`Blocker::says_range`: the receiver's own "part of our network", or one receiver
    refusing several customers' addresses with an IP-level rule; a DNSBL never by itself."""
    return b["class"] == "network_block" or (b["class"] == "ip_block" and b.customers >= 2)


def verdict(blocked_ips, blocked_customers, blockers):
    """`SubnetRow::verdict`: range evidence from any one blocker decides; without it, blocks
    of several customers are that many separate listings."""
    if any(says_range(b) for b in blockers):
        return "neighbourhood"
    if blocked_ips == 0:
        return "clear"
    if blocked_customers >= 2:
        return "several_listed"
    if blocked_ips > 1 and blocked_customers == 1:
        return "single_customer"
    return "single_ip"


def count(n, one, many):
    """`count` in src/report/cells.rs: `1 IP`, `2 IPs`."""
    return "%d %s" % (n, one if n == 1 else many)


def blocked_by(b):
    """`blocked_by`: `who:class(N IPs, M customers)`, who as `blocker_name` names it."""
    who = b.id if b.kind == LIST or b.id != "" else "unknown receiver"
    return "%s:%s(%s, %s)" % (who, b["class"], count(b.ips, "IP", "IPs"),
                              count(b.customers, "customer", "customers"))


def sorted_join(column):
    """';'-joined sorted distinct values (nulls skipped), as polars' unique().sort().join()."""
    return F.array_join(F.array_sort(F.collect_set(column)), ";")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--partials", required=True, help="directory of *.parquet, a file, or a glob/URI")
    p.add_argument("--inventory", required=True)
    p.add_argument("--rules", required=True, help="output of `blockscope rules --format csv`")
    p.add_argument("--out", required=True, help="local directory for ips.csv and subnets.csv")
    p.add_argument("--ipv4-prefix", type=int, default=24)
    p.add_argument("--ipv6-prefix", type=int, default=64)
    p.add_argument("--recipient-detail", choices=["domain", "full"], default="domain")
    args = p.parse_args(argv)
    v4, v6 = args.ipv4_prefix, args.ipv6_prefix
    if not 8 <= v4 <= 32:
        raise Fail("--ipv4-prefix %d: must be between 8 and 32" % v4)
    if not 16 <= v6 <= 128:
        raise Fail("--ipv6-prefix %d: must be between 16 and 128" % v6)

    spark = SparkSession.builder.appName("blockscope-merge-partials").getOrCreate()
    rules = load_rules(args.rules, read_text(spark, args.rules))
    inv = Inventory(args.inventory, read_text(spark, args.inventory))

    try:
        files = spark.read.parquet(partial_paths(spark, args.partials))
    except AnalysisException as e:
        raise Fail("--partials %r: no partials found (%s); give a directory of .parquet files "
                   "written by `blockscope ingest`, one file, or a glob"
                   % (args.partials, str(e).splitlines()[0]))

    # Every file must say it is schema version 2 (`partials::read`).
    versions = (files.groupBy(F.col("_metadata.file_path").alias("file"))
                .agg(F.max(F.when((F.col("kind") == "meta") & (F.col("name") == "schema_version"),
                                  F.col("value").cast("long"))).alias("version"))
                .where(F.col("version").isNull() | (F.col("version") != SCHEMA_VERSION))
                .collect())
    for row in versions:
        if row.version is None:
            raise Fail("%s: not a blockscope partial (no schema_version row)" % row.file)
        raise Fail("%s: partial of schema version %d, this job reads version %d; re-run "
                   "blockscope ingest on the log host with this version"
                   % (row.file, row.version, SCHEMA_VERSION))

    # `resolve_dirs`: directories read without the inventory (`a` or `a/b`) whose first level
    # is a vps_id are that VPS; with no hostname column, any other is a directory the inventory
    # does not name. This job does not match hostnames: a hostname directory or a central file
    # read without the inventory is for `blockscope report`, or for ingest with --inventory.
    if inv.has_hostnames:
        dirs = (files.where(F.col("kind") == "dir_as_logged").select("name").distinct()
                .orderBy("name").collect())
        for row in dirs:
            if row.name.split("/")[0] not in inv.customer_of_vps:
                raise Fail("%s/: read by `blockscope ingest` without --inventory, and not a "
                           "vps_id directory: this job does not route hostname directories or "
                           "central-syslog files; merge with `blockscope report`, or run "
                           "`blockscope ingest --inventory FILE` on that log host" % row.name)

    # Small lookups: rule -> class, inventory VPS -> customer (broadcast joins).
    rules_df = F.broadcast(spark.createDataFrame(
        [(k, v[0]) for k, v in rules.items()], "rule_key string, class string"))
    vps_df = F.broadcast(spark.createDataFrame(
        sorted(inv.customer_of_vps.items()), "vps_key string, obs_customer string"))

    # Address attributes once per distinct address text, joined back to events and activity.
    # Only the columns this job knows: later schema versions may add more.
    cells = (files.where(F.col("kind").isin("event", "activity"))
             .select("kind", "vps_id", "ip", "ip_source", "rule_id", "platform", "code",
                     "receiver_rule_id", "events", "first", "last", "sample_time", "sample",
                     "pending")
             .withColumn("ip_text", F.coalesce(F.col("ip"), F.lit("")))
             # A directory read without the inventory (`a/b`) is its first level's VPS, if any.
             .withColumn("vps_id", F.substring_index(F.col("vps_id"), "/", 1)))
    cells = as_logged_single(spark, cells, inv)
    attrs_udf = ip_attributes_udf(spark.sparkContext.broadcast(inv.index()), v4, v6)
    addresses = (cells.select("ip_text").distinct()
                 .withColumn("a", attrs_udf("ip_text")).select("ip_text", "a.*"))
    cells = (cells.drop("ip").join(addresses, "ip_text", "left")
             .join(vps_df, F.col("vps_id") == F.col("vps_key"), "left"))
    cells = as_logged_tenancy(cells)
    # `owner_of`: the inventory holder of the IP, else the VPS directory the line was logged in
    # (when that directory is an inventory VPS).
    held = F.col("inv_vps").isNotNull()
    observed = F.when(F.col("obs_customer").isNotNull(), F.col("vps_id")).otherwise(F.lit(""))
    unconfirmed = F.coalesce(F.col("ip_source") == OTHER_CUSTOMER, F.lit(False))
    cells = cells.select(
        "*",
        F.when(unconfirmed, F.lit("")).when(held, F.col("inv_customer"))
         .otherwise(F.coalesce("obs_customer", F.lit(""))).alias("customer_id"),
        F.when(unconfirmed, F.lit("")).when(held, F.col("inv_vps")).otherwise(observed).alias("owner_vps"),
        held.alias("in_inventory"),
    ).persist()

    # ---- ips.csv: `ip_rows`.
    source_rank = F.lit(UNKNOWN_SOURCE_RANK)
    for rank, name in enumerate(IP_SOURCES):
        if rank != UNKNOWN_SOURCE_RANK:
            source_rank = F.when(F.col("ip_source") == name, F.lit(rank)).otherwise(source_rank)
    nonempty = lambda c: F.when(F.col(c) != "", F.col(c))
    events = (cells.where(F.col("kind") == "event")
              .join(rules_df, F.col("rule_id") == F.col("rule_key"), "left")
              .select(
                  F.coalesce("ip", F.lit("")).alias("ip"),
                  F.coalesce("ip_sort", F.lit("~")).alias("ip_sort"),
                  F.coalesce("subnet", F.lit("")).alias("subnet"),
                  "subnet_sort", "customer_id", F.col("owner_vps").alias("vps_id"), "in_inventory",
                  # A rule this catalogue lacks counts as unclassified (`from_stored`).
                  F.when(F.col("class").isNull(), F.lit("unclassified")).otherwise(F.col("rule_id")).alias("rule_id"),
                  F.coalesce("class", F.lit("unclassified")).alias("class"),
                  F.when(F.col("platform").isin(PLATFORMS), F.col("platform")).otherwise(F.lit("other")).alias("platform"),
                  F.coalesce("code", F.lit("")).alias("code"),
                  F.coalesce("receiver_rule_id", F.lit("")).alias("receiver_rule_id"),
                  source_rank.alias("ip_source"),
                  F.coalesce(F.col("events").cast("long"), F.lit(0)).alias("events"),
                  F.coalesce("first", F.lit(0)).alias("first"),
                  F.coalesce("last", F.lit(0)).alias("last"),
                  F.struct(F.coalesce("sample_time", F.lit(0)).alias("t"),
                           F.coalesce("sample", F.lit("")).alias("s")).alias("sample"),
              ))
    ip_rows = (events.groupBy("ip", "rule_id", "customer_id", "vps_id")
               .agg(F.first("ip_sort").alias("ip_sort"),
                    F.first("subnet").alias("subnet"),
                    F.first("subnet_sort").alias("subnet_sort"),
                    F.first("in_inventory").alias("in_inventory"),
                    F.first("class").alias("class"),
                    sorted_join(nonempty("platform")).alias("platform"),
                    F.array_sort(F.collect_set(nonempty("code"))).alias("codes"),
                    sorted_join(nonempty("receiver_rule_id")).alias("receiver_rule_id"),
                    F.min("ip_source").alias("ip_source"),
                    F.sum("events").alias("events"),
                    F.min("first").alias("first"),
                    F.max("last").alias("last"),
                    # The latest sample; ties broken by the greater text.
                    F.max("sample").getField("s").alias("sample"))
               .persist())

    # ---- subnets.csv: `subnet_rows`.
    activity = (cells.where((F.col("kind") == "activity") & F.col("ip").isNotNull())
                .groupBy("subnet")
                .agg(F.first("subnet_sort").alias("subnet_sort"),
                     F.countDistinct("ip").alias("active_ips"),
                     F.collect_set(nonempty("customer_id")).alias("act_customers")))
    # One row per receiver platform (`block_frame`; a row without one counts under "").
    blocks = (ip_rows.where((F.col("ip") != "") & (F.col("ip_source") != OTHER_CUSTOMER_RANK))
              .select("subnet", "subnet_sort", "ip", "customer_id", "rule_id", "class",
                      F.explode(F.split("platform", ";", -1)).alias("platform"))
              .withColumn("blocked", F.col("class").isin(BLOCK_CLASSES)))
    blocked = F.col("blocked")
    blocked_customer = blocked & (F.col("customer_id") != "")
    block_agg = (blocks.groupBy("subnet")
                 .agg(F.first("subnet_sort").alias("b_sort"),
                      F.countDistinct(F.when(blocked, F.col("ip"))).alias("blocked_ips"),
                      F.countDistinct(F.when(blocked_customer, F.col("customer_id"))).alias("blocked_customers"),
                      F.countDistinct(F.when(F.col("class") == "throttle", F.col("ip"))).alias("throttled_ips"),
                      sorted_join(F.when(blocked, F.col("platform"))).alias("platforms"),
                      sorted_join(F.when(blocked, F.col("rule_id"))).alias("rule_ids")))
    # Inventory side: addresses held in each subnet, and by which customers.
    held_df = (spark.createDataFrame(inv.shares(v4, v6) or [("", 0, "")],
                                     "subnet string, n long, customer string")
               .groupBy("subnet")
               .agg(F.sum("n").alias("inventory_ips"), F.collect_set("customer").alias("inv_customers")))
    empty = F.array().cast("array<string>")
    subnets = (activity.join(block_agg, "subnet", "full")
               .join(subnet_blockers(ip_rows), "subnet", "left")
               .join(held_df, "subnet", "left")
               .select(
                   "subnet",
                   F.coalesce("subnet_sort", "b_sort").alias("subnet_sort"),
                   F.coalesce("inventory_ips", F.lit(0)).alias("inventory_ips"),
                   F.coalesce("active_ips", F.lit(0)).alias("active_ips"),
                   F.coalesce("blocked_ips", F.lit(0)).alias("blocked_ips"),
                   F.size(F.array_union(F.coalesce("act_customers", empty),
                                        F.coalesce("inv_customers", empty))).alias("customers"),
                   F.coalesce("blocked_customers", F.lit(0)).alias("blocked_customers"),
                   F.coalesce("platforms", F.lit("")).alias("platforms"),
                   F.coalesce("throttled_ips", F.lit(0)).alias("throttled_ips"),
                   F.coalesce("rule_ids", F.lit("")).alias("rule_ids"),
                   "blockers"))

    # ---- Write both files from the driver, in report order.
    os.makedirs(args.out, exist_ok=True)
    full = args.recipient_detail == "full"
    with open(os.path.join(args.out, "ips.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(csv_line(IPS_HEADER))
        rows = ip_rows.orderBy("ip_sort", "rule_id", "customer_id", "vps_id").toLocalIterator()
        for r in rows:
            _cls, permanence, delist = rules[r.rule_id]
            f.write(csv_line([
                r.ip, r.subnet, r.customer_id, r.vps_id, "true" if r.in_inventory else "false",
                r.platform, r.rule_id, r["class"], ";".join(r.codes), str(r.events), iso(r.first), iso(r.last),
                delist, IP_SOURCES[r.ip_source], r.sample if full else redact(r.sample),
                permanence_of_codes(permanence, r.codes), r.receiver_rule_id,
                "", "", "", "", "", "", "seen", str(days_blocked(r.first, r.last)),
            ]))
    with open(os.path.join(args.out, "subnets.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(csv_line(SUBNETS_HEADER))
        # `display_order`: numerically by network address (IPv4 first).
        for s in subnets.orderBy("subnet_sort", "subnet").collect():  # one row per /24: small
            # Each subnet's blockers in `BlockerId` order: receivers, then lists, each by name.
            blockers = sorted(s.blockers or [], key=lambda b: (b.kind, b.id))
            f.write(csv_line([
                s.subnet, str(s.inventory_ips), str(s.active_ips), str(s.blocked_ips),
                str(s.customers), str(s.blocked_customers), s.platforms,
                verdict(s.blocked_ips, s.blocked_customers, blockers),
                str(s.throttled_ips), s.rule_ids, "0", "0", "",
                ";".join(blocked_by(b) for b in blockers),
            ]))
    spark.stop()


if __name__ == "__main__":
    try:
        main()
    except Fail as e:
        print("merge_partials: %s" % e, file=sys.stderr)
        sys.exit(2)
