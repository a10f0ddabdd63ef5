#!/usr/bin/env python3
"""Generate the blockscope sample data set (deterministic, stdlib only).

    python3 scripts/gen-sample-data.py [--out sample-data]

Writes
    <out>/inventory.csv                    customer_id,customer_name,vps_id,ip
    <out>/logs/<vps_id>/mail.log{,.1,.2.gz}  (or maillog{,.1,.2.gz} on RHEL-style VPSes)
    <out>/logs/<vps_id>/exim4/mainlog{,.1,.2.gz}  (Debian Exim VPSes)
    <out>/snds/*.csv                       Microsoft SNDS IP data (17-21 Nov) and IP status

for a fleet of 31 customer VPSes over 2026-11-15 00:00 .. 2026-11-21 23:59 UTC:
25 Postfix VPSes (FLEET) plus 3 Exim, 2 OpenSMTPD and 1 Sendmail VPS (FLEET2).  The
non-Postfix VPSes are simulated after the Postfix ones with their own random streams, so
adding them left every Postfix log byte-identical.
Rotation: *.2.gz = 15-16 Nov, *.1 = 17-19 Nov, newest = 20-21 Nov (split by UTC time).
All inventory addresses are documentation ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24, 2001:db8::/32).  Receiver (MX) addresses are the big providers'
public ranges or made-up hosting addresses, never ours.

Output is byte-for-byte reproducible: fixed seeds, no wall clock, gzip mtime 0.
File mtimes are set (os.utime) to just after each file's last line; git drops them.

The scenario (which IP gets which reply) is printed to stdout at the end and also
written to <out>/README.md.
"""

import argparse
import collections
import csv
import gzip
import hashlib
import io
import os
import random
import re
import shutil
import string
import sys
from datetime import datetime, timedelta, timezone

SEED = "blockscope-sample-data-v1"
UTC = timezone.utc
T0 = datetime(2026, 11, 15, tzinfo=UTC).timestamp()
T_END = datetime(2026, 11, 22, tzinfo=UTC).timestamp()
DAY = 86400.0
LIFETIME = 5 * DAY  # maximal_queue_lifetime default
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def at(day, hh=0, mm=0, ss=0.0):
    """UTC epoch seconds for 2026-11-<day> hh:mm:ss."""
    return T0 + (day - 15) * DAY + hh * 3600 + mm * 60 + ss


def rng_for(*parts):
    h = hashlib.sha256("|".join((SEED,) + tuple(str(p) for p in parts)).encode()).digest()
    return random.Random(int.from_bytes(h[:8], "big"))


def utc_iso_ms(t):
    d = datetime.fromtimestamp(t, UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def pf_delay(x):
    """Postfix delay formatting (delay_logging_resolution_limit = 2)."""
    if x >= 10:
        return str(int(x))
    s = ("%.1f" % (int(x * 10) / 10.0)) if x >= 1 else ("%.2f" % (int(x * 100) / 100.0))
    s = s.rstrip("0").rstrip(".")
    return s or "0"


# --------------------------------------------------------------------------------------
# Receivers
# --------------------------------------------------------------------------------------

class Dest:
    """A recipient domain and how its MX behaves."""

    def __init__(self, domain, cls, mxs, v6=None, ok="postfix", tls="biz", zen=False,
                 greylist=False, flaky=False, noip_until=None):
        self.domain = domain
        self.cls = cls          # gmail gws olc o365 yahoo biz misc
        self.mxs = mxs          # [(name, [ipv4...]), ...] in preference order
        self.v6 = v6            # [(name, [ipv6...])] or None
        self.ok = ok
        self.tls = tls
        self.zen = zen          # receiver rejects Spamhaus-listed clients
        self.greylist = greylist
        self.flaky = flaky      # primary MX sometimes times out
        self.noip_until = noip_until  # 451 4.7.1 without any IP until this time


GOOGLE_V4 = ["142.250.102.27", "142.250.27.26", "142.251.9.27", "172.253.63.26",
             "172.253.122.27", "74.125.206.26", "74.125.206.27", "64.233.184.26",
             "108.177.15.26", "142.250.153.27"]
GOOGLE_V6 = ["2a00:1450:400c:c0b::1b", "2a00:1450:400c:c0a::1a", "2a00:1450:4013:c16::1a",
             "2a00:1450:4025:401::1b"]
ASPMX_V4 = ["142.250.153.26", "74.125.143.26", "172.253.116.27", "142.250.150.27"]
ASPMX_V6 = ["2a00:1450:400c:c00::1a", "2a00:1450:4010:c1c::1b"]

OLC_MX = {
    "hotmail.com": ("hotmail-com.olc.protection.outlook.com",
                    ["52.101.8.49", "52.101.11.0", "52.101.41.58", "52.101.42.10",
                     "104.47.55.161", "104.47.58.33", "104.47.18.161"]),
    "outlook.com": ("outlook-com.olc.protection.outlook.com",
                    ["52.101.9.0", "52.101.40.29", "52.101.10.15", "104.47.56.161",
                     "104.47.70.33"]),
    "live.com": ("live-com.olc.protection.outlook.com", ["52.101.41.11", "104.47.12.33"]),
    "msn.com": ("msn-com.olc.protection.outlook.com", ["52.101.42.0", "104.47.22.161"]),
    "hotmail.co.uk": ("eur.olc.protection.outlook.com",
                      ["52.101.73.31", "52.101.68.12", "104.47.17.97", "104.47.18.225"]),
    "live.co.uk": ("eur.olc.protection.outlook.com", ["52.101.73.31", "104.47.17.97"]),
    "hotmail.de": ("eur.olc.protection.outlook.com", ["52.101.68.12", "104.47.18.225"]),
}
OLC_WEIGHTS = [("hotmail.com", 6), ("outlook.com", 5), ("live.com", 1), ("msn.com", 1),
               ("hotmail.co.uk", 2), ("live.co.uk", 1), ("hotmail.de", 1)]

O365_TENANTS = ["contoso.com", "fabrikam.com", "northwindtraders.com", "adatum.com",
                "litwareinc.com", "tailspintoys.com", "woodgrovebank.com", "wingtiptoys.com",
                "proseware.com", "fourthcoffee.com", "alpineskihouse.com", "relecloud.com",
                "margiestravel.com", "lucernepublishing.com", "treyresearch.net",
                "humongousinsurance.com"]
O365_NETS = ["52.101.68", "52.101.73", "52.101.66", "52.101.194", "52.101.40", "104.47.11",
             "104.47.30", "104.47.57", "104.47.51"]

YAHOO = {
    "yahoo.com": [("mta5.am0.yahoodns.net", ["67.195.204.72", "98.136.96.74"]),
                  ("mta6.am0.yahoodns.net", ["67.195.228.106", "98.136.96.91"]),
                  ("mta7.am0.yahoodns.net", ["67.195.204.77", "98.136.96.76"])],
    "ymail.com": [("mta6.am0.yahoodns.net", ["67.195.228.106", "98.136.96.91"]),
                  ("mta5.am0.yahoodns.net", ["67.195.204.72", "98.136.96.74"]),
                  ("mta7.am0.yahoodns.net", ["67.195.204.77", "98.136.96.76"])],
    "aol.com": [("mx-aol.mail.gm0.yahoodns.net", ["67.195.228.94", "98.136.96.92"])],
    "yahoo.co.uk": [("mx-eu.mail.am0.yahoodns.net", ["188.125.72.74", "87.248.110.9"])],
}
YAHOO_WEIGHTS = [("yahoo.com", 5), ("aol.com", 2), ("yahoo.co.uk", 2), ("ymail.com", 1)]

MISC = {
    "gmx.de": ([("mx00.emig.gmx.net", ["212.227.15.9"]), ("mx01.emig.gmx.net", ["212.227.17.5"])], "gmx"),
    "web.de": ([("mx-ha03.web.de", ["212.227.15.41"]), ("mx-ha02.web.de", ["212.227.17.8"])], "gmx"),
    "icloud.com": ([("mx01.mail.icloud.com", ["17.57.152.5"]), ("mx02.mail.icloud.com", ["17.57.154.6"])], "postfix"),
}

# Small businesses the customers write to.  (domain, mx style)
BIZ_SELF = ["fernhill-accountants.example", "corrie-plumbing.example", "larkspur-florists.example",
            "baxter-joinery.example", "halden-consulting.example", "moorfield-school.example",
            "tidewater-marine.example", "copperbeech-vets.example", "lindqvist-arkitekter.example",
            "brightwater-hotels.example", "sable-print.example", "redkite-cycles.example",
            "oakmere-farm.example", "granite-legal.example", "kingfisher-travel.example",
            "wrenfield-surgery.example"]
BIZ_GWS = ["pinecrest-studio.example", "foxglove-design.example", "marlow-events.example",
           "seaview-cottages.example", "hearth-and-home.example", "quarry-lane-books.example"]
HOSTING_NETS = ["46.4", "88.99", "116.202", "135.181", "51.77", "54.38", "185.26", "213.133",
                "5.9", "95.216", "37.120", "91.198"]

FIRST = ["anna", "ben", "chloe", "david", "emma", "finn", "grace", "harry", "isla", "jack",
         "karen", "liam", "maria", "noah", "olivia", "peter", "rachel", "sam", "tom", "zoe",
         "lukas", "sofia", "mehmet", "aisha", "jan", "eva", "marco", "ingrid", "pablo", "yuki"]
LAST = ["smith", "jones", "taylor", "brown", "wilson", "evans", "thomas", "roberts", "walker",
        "muller", "schmidt", "rossi", "novak", "jensen", "garcia", "okafor", "nguyen", "kowalski",
        "oconnor", "fischer", "dubois", "larsen", "patel", "khan", "silva", "berg"]
ROLE = ["info", "office", "accounts", "bookings", "sales", "admin", "hello", "enquiries",
        "support", "reception", "orders", "hr"]


class World:
    def __init__(self):
        self.dests = {}
        r = rng_for("world")
        for d, (mx, ips) in OLC_MX.items():
            self.dests[d] = Dest(d, "olc", [(mx, ips)], ok="ms-olc", tls="ms")
        for d in ("gmail.com", "googlemail.com"):
            self.dests[d] = Dest(d, "gmail", [("gmail-smtp-in.l.google.com", GOOGLE_V4)],
                                 v6=[("gmail-smtp-in.l.google.com", GOOGLE_V6)], ok="google", tls="google")
        for d in O365_TENANTS:
            net = r.choice(O365_NETS)
            ips = ["%s.%d" % (net, r.randint(1, 60)), "%s.%d" % (net, r.randint(61, 200))]
            self.dests[d] = Dest(d, "o365", [(d.replace(".", "-") + ".mail.protection.outlook.com", ips)],
                                 ok="ms-o365", tls="ms")
        for d, mxs in YAHOO.items():
            self.dests[d] = Dest(d, "yahoo", mxs, ok="yahoo", tls="yahoo")
        for d, (mxs, ok) in MISC.items():
            self.dests[d] = Dest(d, "misc", mxs, ok=ok, tls="biz")
        for i, d in enumerate(BIZ_SELF):
            net = HOSTING_NETS[i % len(HOSTING_NETS)]
            ip1 = "%s.%d.%d" % (net, r.randint(1, 250), r.randint(2, 250))
            if i % 3 == 0:
                ip2 = "%s.%d.%d" % (net, r.randint(1, 250), r.randint(2, 250))
                mxs = [("mx1." + d, [ip1]), ("mx2." + d, [ip2])]
            else:
                mxs = [("mail." + d, [ip1])]
            self.dests[d] = Dest(d, "biz", mxs, ok="postfix", tls="biz", zen=(i % 2 == 0),
                                 greylist=(i % 5 == 1), flaky=(i % 3 == 0))
        for d in BIZ_GWS:
            self.dests[d] = Dest(d, "gws", [("aspmx.l.google.com", ASPMX_V4[:2]),
                                            ("alt1.aspmx.l.google.com", ASPMX_V4[2:])],
                                 v6=[("aspmx.l.google.com", ASPMX_V6)], ok="google", tls="google")
        # Receivers that answer 451 4.7.1 without naming any IP (fallback scenarios).
        self.dests["lindqvist-arkitekter.example"].noip_until = at(21, 10, 0)
        self.dests["lindqvist-arkitekter.example"].greylist = False
        self.dests["brightwater-hotels.example"].noip_until = at(18, 13, 0)
        self.dests["brightwater-hotels.example"].greylist = False

    def pick_domain(self, r, cls):
        if cls == "gmail":
            return "gmail.com" if r.random() < 0.9 else "googlemail.com"
        if cls == "olc":
            return wchoice(r, OLC_WEIGHTS)
        if cls == "o365":
            return r.choice(O365_TENANTS)
        if cls == "yahoo":
            return wchoice(r, YAHOO_WEIGHTS)
        if cls == "misc":
            return r.choice(sorted(MISC))
        if cls == "gws":
            return r.choice(BIZ_GWS)
        return r.choice([d for d in BIZ_SELF if d not in ("lindqvist-arkitekter.example",
                                                          "brightwater-hotels.example")])


def wchoice(r, pairs):
    total = sum(w for _, w in pairs)
    x = r.uniform(0, total)
    for k, w in pairs:
        x -= w
        if x <= 0:
            return k
    return pairs[-1][0]


def local_part(r, cls):
    f, l = r.choice(FIRST), r.choice(LAST)
    if cls in ("gmail", "olc", "yahoo", "misc"):
        style = r.randint(0, 4)
        if style == 0:
            return "%s.%s%d" % (f, l, r.randint(1, 99))
        if style == 1:
            return "%s%s" % (f, l)
        if style == 2:
            return "%s.%s" % (f, l)
        if style == 3:
            return "%s%d" % (f, r.randint(1960, 2009))
        return "%s_%s%d" % (f[0], l, r.randint(1, 999))
    if r.random() < 0.35:
        return r.choice(ROLE)
    return "%s.%s" % (f, l) if r.random() < 0.6 else f


# --------------------------------------------------------------------------------------
# Reply texts (catalogue wording)
# --------------------------------------------------------------------------------------

def hexs(r, n, upper=True):
    s = "".join(r.choice("0123456789abcdef") for _ in range(n))
    return s.upper() if upper else s


def b64s(r, n):
    return "".join(r.choice(string.ascii_letters + string.digits + "+/") for _ in range(n))


def ms_stamp(r, t, eur=True):
    """Newer Microsoft trailer: [SERVER 2026-..Z 08DF...]."""
    if eur:
        pre = r.choice(["AMS0EPF", "DB1PEPF", "AM4PEPF", "DU2PEPF", "FR2PEPF"])
        region = r.choice(["eurprd03", "eurprd04", "eurprd05", "eurprd02"])
    else:
        pre = r.choice(["BN3PEPF", "DS3PEPF", "SN1PEPF", "CH3PEPF", "BY2PEPF"])
        region = r.choice(["namprd04", "namprd02", "namprd11"])
    return "[%s%s.%s.prod.outlook.com %s 08DF%s%s]" % (
        pre, "0000" + hexs(r, 4) if r.random() < 0.5 else "000" + hexs(r, 5), region, utc_iso_ms(t), r.choice(["28", "2A", "2E", "31"]), hexs(r, 10))


def ms_ft(r):
    """Older EOP front-end trailer: [DM6NAM12FT008.eop-nam12.prod.protection.outlook.com]."""
    if r.random() < 0.5:
        n = r.choice(["01", "02", "03", "06"])
        return "[%sEUR%sFT%03d.eop-EUR%s.prod.protection.outlook.com]" % (
            r.choice(["VE1", "DB5", "AM5", "VI1", "HE1"]), n, r.randint(1, 99), n)
    n = r.choice(["04", "11", "12"])
    return "[%sNAM%sFT%03d.eop-nam%s.prod.protection.outlook.com]" % (
        r.choice(["DM6", "MW2", "BN8", "CO1"]), n, r.randint(1, 99), n)


def pfa(r):
    return "[Name=Protocol Filter Agent][AGT=PFA][MxId=11B%s]" % hexs(r, 13)


def gsmtp_id(r):
    pre = r.choice(["a640c23a62f3a", "5b1f17b1804b1", "ffacd0b85a97d", "2adb3069b0e04", "d9443c01a7336"])
    return "%s-%ssi%d%s.%d" % (pre, hexs(r, 11, False), r.randint(1000000, 99999999),
                               r.choice(["66b", "5e9", "c9f", "a1b", "8b4", "7e2"]), r.randint(1, 480))


def reply_s3140(r, ip, t, code="S3140"):
    tail = "" if code.startswith("AS") else " " + (
        pfa(r) + " " + ms_stamp(r, t, eur=r.random() < 0.4) if r.random() < 0.6 else ms_ft(r))
    return ("550 5.7.1 Unfortunately, messages from [%s] weren't sent. Please contact your Internet "
            "service provider since part of their network is on our block list (%s). You can also "
            "refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.%s" % (ip, code, tail))


def reply_5606(r, ip, t):
    return ("550 5.7.606 Access denied, banned sending IP [%s]. To request removal from this list please "
            "visit https://sender.office.com/ and follow the directions. For more information please go "
            "to http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430) %s" % (ip, ms_stamp(r, t)))


def reply_5511(r, ip, t):
    return ("550 5.7.511 Access denied, banned sender[%s]. To request removal from this list please "
            "forward this message to delist@messaging.microsoft.com. For more information please go to "
            "http://go.microsoft.com/fwlink/?LinkId=526653. AS(508) %s" % (ip, ms_ft(r)))


def reply_4650(r, ip, t):
    return ("451 4.7.650 The mail server [%s] has been temporarily rate limited due to IP reputation. "
            "For e-mail delivery information, see https://aka.ms/postmaster (S775) %s %s"
            % (ip, pfa(r), ms_stamp(r, t, eur=r.random() < 0.7)))


def reply_4500(r, ip, t):
    return "451 4.7.500 Server busy. Please try again later from [%s]. (S77714) %s" % (ip, ms_stamp(r, t))


def reply_zen(ip):
    return ("554 5.7.1 Service unavailable; Client host [%s] blocked using zen.spamhaus.org; "
            "https://www.spamhaus.org/query/ip/%s" % (ip, ip))


def reply_spamhaus_ms(r, ip):
    return ("550 5.7.1 Service unavailable, Client host [%s] blocked using Spamhaus. To request removal "
            "from this list see https://www.spamhaus.org/query/ip/%s (AS3130). %s" % (ip, ip, ms_ft(r)))


def gmail_pad(ip, n):
    return "[%s%s%d]" % (ip, " " * (6 if n >= 10 else 7), n)


def reply_gmail6(r, ip):
    return ("550-5.7.1 %s Our system has detected that this 550-5.7.1 message is likely unsolicited "
            "mail. To reduce the amount of spam sent 550-5.7.1 to Gmail, this message has been blocked. "
            "For more information, go to 550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError "
            "%s - gsmtp" % (gmail_pad(ip, 12), gsmtp_id(r)))


def reply_gmail421(r, ip):
    return ("421-4.7.28 %s Our system has detected an unusual rate of 421-4.7.28 unsolicited mail "
            "originating from your IP address. To protect our 421-4.7.28 users from spam, mail sent from "
            "your IP address has been temporarily 421-4.7.28 rate limited. Please visit 421-4.7.28  "
            "https://support.google.com/mail/?p=UnsolicitedRateLimitError to 421 4.7.28 review our Bulk "
            "Email Senders Guidelines. %s - gsmtp" % (gmail_pad(ip, 15), gsmtp_id(r)))


def reply_tss04(ip):
    return ("421 4.7.0 [TSS04] Messages from %s temporarily deferred due to unexpected volume or user "
            "complaints - 4.16.55.1; see https://postmaster.verizonmedia.com/error-codes" % ip)


def reply_gmail_nosuchuser(r):
    return ("550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 "
            "double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. "
            "For more information, go to 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser %s - gsmtp"
            % gsmtp_id(r))


# --------------------------------------------------------------------------------------
# IP-level receiver behaviour (the scenario)
# --------------------------------------------------------------------------------------

class Rule:
    def __init__(self, ip, kind, classes, start, end, p, label):
        self.ip, self.kind, self.classes = ip, kind, classes
        self.start, self.end, self.p, self.label = start, end, p, label


RULES = [
    # Neighbourhood: Outlook.com blocks five IPs of 198.51.100.0/24 (five customers).
    Rule("198.51.100.10", "s3140", {"olc"}, at(16, 7, 40), T_END, 1.0, "Outlook.com S3140 block"),
    Rule("198.51.100.23", "s3140", {"olc"}, at(16, 11, 5), T_END, 1.0, "Outlook.com S3140 block"),
    Rule("198.51.100.37", "s3140", {"olc"}, at(17, 9, 0), T_END, 1.0, "Outlook.com S3140 block (+S3150 once)"),
    Rule("198.51.100.45", "s3140", {"olc"}, at(17, 15, 30), T_END, 1.0, "Outlook.com S3140 block (+AS3140 once)"),
    Rule("198.51.100.71", "s3140", {"olc"}, at(18, 8, 0), T_END, 1.0, "Outlook.com S3140 block"),
    # 203.0.113.0/24
    Rule("203.0.113.17", "5606", {"o365"}, at(16, 13, 0), T_END, 1.0, "Office 365 5.7.606 banned sending IP"),
    Rule("203.0.113.40", "4650", {"olc"}, at(18, 9, 0), at(20, 18, 0), 0.8, "Outlook.com 4.7.650 throttling"),
    Rule("203.0.113.80", "4500", {"o365"}, at(19, 9, 40), at(19, 13, 30), 0.6, "Office 365 4.7.500 server busy"),
    Rule("203.0.113.52", "zen", {"biz"}, T0, T_END, 1.0, "Spamhaus ZEN (non-Microsoft MX)"),
    # 192.0.2.0/24
    Rule("192.0.2.14", "5511", {"o365"}, at(19, 10, 0), T_END, 1.0, "Office 365 5.7.511 banned sender"),
    Rule("192.0.2.47", "4650", {"olc"}, at(19, 10, 0), at(21, 12, 0), 0.75, "Outlook.com 4.7.650 throttling"),
    Rule("192.0.2.102", "gmail421", {"gmail"}, at(16, 0, 0), T_END, 0.55, "Gmail 421-4.7.28 rate limit (IP not in inventory)"),
    Rule("192.0.2.102", "tss04", {"yahoo"}, at(16, 0, 0), T_END, 0.7, "Yahoo TSS04 deferral (IP not in inventory)"),
    # IPv6
    Rule("2001:db8:10:4::25", "gmail6", {"gmail"}, at(17, 0, 0), T_END, 0.6, "Gmail IPv6 550-5.7.1 unsolicited"),
]
RULES_BY_IP = collections.defaultdict(list)
for _rule in RULES:
    RULES_BY_IP[_rule.ip].append(_rule)


# --------------------------------------------------------------------------------------
# Fleet
# --------------------------------------------------------------------------------------

CUSTOMERS = [
    ("c1001", "Harbourside Bakery Ltd", "harbourside-bakery.example"),
    ("c1002", "Kestrel Logistics GmbH", "kestrel-logistics.example"),
    ("c1003", "Bluebell Dental Practice", "bluebell-dental.example"),
    ("c1004", "Northgate Property Management", "northgate-property.example"),
    ("c1005", "Lumen Digital Agency", "lumen-digital.example"),
    ("c1006", "Ostara Yoga Studio", "ostara-yoga.example"),
    ("c1007", "Vantage Ticketing Ltd", "vantage-tickets.example"),
    ("c1008", "Millbrook Parish Council", "millbrook-parish.example"),
    ("c1009", "Pixelforge Games", "pixelforge-games.example"),
    ("c1010", "Alder, Finch & Co Solicitors", "alderfinch-law.example"),
    ("c1011", "Sorensen Marine ApS", "sorensen-marine.example"),
    ("c1012", "Greenleaf Organic Co-op", "greenleaf-coop.example"),
    ("c1013", "Quayside Events", "quayside-events.example"),
]
CUST = {c[0]: c for c in CUSTOMERS}

BASE_MIX = dict(gmail=30, olc=14, o365=10, yahoo=6, gws=8, biz=24, misc=5)


def mix(**kw):
    m = dict(BASE_MIX)
    m.update(kw)
    return m


class Inst:
    def __init__(self, name, ip4, ip6=None):
        self.name, self.ip4, self.ip6 = name, ip4, ip6


class VPS:
    def __init__(self, vid, cust, host, style, inv, insts, tz=0, log="mail.log", version="3.7.11",
                 domain=None, out=10, inb=4, mixw=None, dovecot=True, opendkim=True, spf=False,
                 tls=False, tls_ca=True, cron=False, bad=0.03, multigz=False, uid=33,
                 campaigns=(), forced=(), inbound_inst=None, reload_at=None, scanners=3,
                 imap=5, hosting="gws", campaign_ip=None, campaign_daemon="smtp", label=""):
        self.id, self.cust, self.host, self.style = vid, cust, host, style
        self.inv, self.insts = inv, insts
        self.tz, self.log, self.version = tz, log, version
        self.domain = domain or CUST[cust][2]
        self.fqdn = "%s.%s" % (host, self.domain)
        self.out, self.inb, self.mix = out, inb, mixw or dict(BASE_MIX)
        self.dovecot = dovecot and style != "postlog"
        self.opendkim = opendkim and style != "postlog"
        self.spf = spf and style != "postlog"
        self.cron = cron and style != "postlog"
        self.tls, self.tls_ca, self.bad, self.multigz = tls, tls_ca, bad, multigz
        self.uid, self.campaigns, self.forced = uid, campaigns, forced
        self.inbound_inst = inbound_inst or insts[0]
        self.reload_at, self.scanners, self.imap = reload_at, scanners, imap
        self.hosting = "local" if self.dovecot else hosting
        self.campaign_ip, self.campaign_daemon, self.label = campaign_ip, campaign_daemon, label
        self.send_ips = sorted({i.ip4 for i in insts} | ({campaign_ip} if campaign_ip else set())
                               | {i.ip6 for i in insts if i.ip6})


def I(name, ip4, ip6=None):
    return Inst(name, ip4, ip6)


FLEET = [
    # ---- 198.51.100.0/24: the neighbourhood ------------------------------------------------
    VPS("vps-c1001-01", "c1001", "web1", "rfc3164", ["198.51.100.10"], [I("postfix", "198.51.100.10")],
        version="3.5.25", out=11, mixw=mix(olc=26), tls=True, multigz=True, spf=True,
        label="Outlook.com S3140 from 16 Nov"),
    VPS("vps-c1001-02", "c1001", "shop", "postlog", ["198.51.100.11"], [I("postfix", "198.51.100.11")],
        version="3.8.6", out=12, mixw=mix(olc=4, gmail=40), hosting="gws", scanners=2, label="clean"),
    VPS("vps-c1002-01", "c1002", "kestrel-mx", "rfc3339", ["198.51.100.23"], [I("postfix", "198.51.100.23")],
        tz=60, version="3.7.11", out=10, mixw=mix(olc=24), spf=True, reload_at=at(18, 3, 12, 7.5),
        label="Outlook.com S3140 from 16 Nov"),
    VPS("vps-c1003-01", "c1003", "srv37", "rfc3164", ["198.51.100.37"], [I("postfix", "198.51.100.37")],
        log="maillog", version="3.5.25", uid=48, out=9, mixw=mix(olc=24),
        forced=[(at(18, 14, 22, 5.31), "hotmail.co.uk", "S3150")],
        label="Outlook.com S3140 from 17 Nov, S3150 once"),
    VPS("vps-c1003-02", "c1003", "mail", "rfc3339", ["198.51.100.38"], [I("postfix", "198.51.100.38")],
        tz=0, version="3.9.1", out=7, inb=7, mixw=mix(olc=3), imap=8, label="clean (lmtp)"),
    VPS("vps-c1004-01", "c1004", "np-web", "postlog", ["198.51.100.45"], [I("postfix", "198.51.100.45")],
        version="3.8.6", out=10, mixw=mix(olc=26), hosting="o365",
        forced=[(at(19, 10, 5, 12.4), "outlook.com", "AS3140")],
        label="Outlook.com S3140 from 17 Nov, AS3140 once"),
    VPS("vps-c1005-01", "c1005", "relay", "rfc3164", ["198.51.100.71", "198.51.100.72"],
        [I("postfix-198.51.100.71", "198.51.100.71"), I("postfix-198.51.100.72", "198.51.100.72")],
        version="3.7.11", out=12, mixw=mix(olc=22), dovecot=False, opendkim=True, hosting="gws",
        campaigns=[(at(16, 10, 0), 26, 20, 0), (at(19, 10, 30), 30, 25, 0)],
        forced=[(at(18, 8, 10, 2.2), "brightwater-hotels.example", "inst1"),
                (at(18, 9, 41, 37.9), "brightwater-hotels.example", "inst1")],
        label="two IP-named instances; .71 S3140 from 18 Nov; .72 451 without IP"),
    VPS("vps-c1006-01", "c1006", "ostara", "rfc3339", ["198.51.100.90"],
        [I("postfix-out", "198.51.100.90")], inbound_inst=I("postfix", "198.51.100.90"),
        tz=60, version="3.7.11", out=9, inb=5, mixw=mix(olc=5, gmail=40), spf=True, tls=True,
        label="postfix-out/smtp + postfix/smtpd; clean"),
    VPS("vps-c1012-01", "c1012", "greenleaf", "rfc3164", ["198.51.100.134"], [I("postfix", "198.51.100.134")],
        version="3.6.4", out=8, mixw=mix(olc=4), cron=True, label="clean"),
    # ---- 203.0.113.0/24 --------------------------------------------------------------------
    VPS("vps-c1007-01", "c1007", "tickets", "rfc3339", ["203.0.113.17"], [I("postfix", "203.0.113.17")],
        tz=0, version="3.8.6", out=13, mixw=mix(o365=34, olc=8), tls=True,
        campaigns=[(at(17, 9, 0), 24, 15, 0)], label="Office 365 5.7.606 from 16 Nov"),
    VPS("vps-c1008-01", "c1008", "council", "rfc3164", ["203.0.113.18/32"], [I("postfix", "203.0.113.18")],
        version="3.5.25", out=7, inb=6, mixw=mix(o365=20), spf=True, cron=True, label="clean (lmtp)"),
    VPS("vps-c1008-02", "c1008", "millbrook-news", "postlog", ["203.0.113.40"], [I("postfix", "203.0.113.40")],
        version="3.8.6", out=8, mixw=mix(olc=30), hosting="o365",
        campaigns=[(at(18, 9, 30), 28, 30, 0), (at(20, 9, 30), 24, 30, 0)],
        label="Outlook.com 4.7.650 throttling 18-20 Nov"),
    VPS("vps-c1009-01", "c1009", "pf-web", "rfc3164", ["203.0.113.52"], [I("postfix", "203.0.113.52")],
        version="3.7.11", out=11, mixw=mix(biz=38, o365=10), tls=True,
        forced=[(at(17, 11, 40, 44.1), "fabrikam.com", "spamhaus_ms")],
        label="Spamhaus ZEN all week; Microsoft AS3130 once"),
    VPS("vps-c1009-02", "c1009", "pf-mail", "rfc3339", ["203.0.113.53/32"], [I("postfix", "203.0.113.53")],
        tz=60, version="3.7.11", out=6, inb=7, imap=9, spf=True, label="clean (lmtp)"),
    VPS("vps-c1002-02", "c1002", "kl-app02", "rfc3164", ["203.0.113.80"], [I("postfix", "203.0.113.80")],
        log="maillog", version="3.5.25", uid=48, out=10, mixw=mix(o365=30), hosting="gws",
        dovecot=False, campaigns=[(at(19, 10, 0), 18, 45, dict(o365=8, gmail=1, biz=1))],
        label="Office 365 4.7.500 on 19 Nov"),
    VPS("vps-c1010-01", "c1010", "law1", "rfc3339", ["203.0.113.66"], [I("postfix", "203.0.113.66")],
        tz=0, version="3.8.6", out=9, bad=0.13, mixw=mix(o365=18), cron=True,
        label="clean; many recipient errors (not IP problems)"),
    VPS("vps-c1013-02", "c1013", "qe-booking", "postlog", ["203.0.113.101"], [I("postfix", "203.0.113.101")],
        version="3.9.1", out=8, bad=0.06, hosting="gws", label="clean"),
    # ---- 192.0.2.0/24 ----------------------------------------------------------------------
    VPS("vps-c1010-02", "c1010", "law2", "rfc3164", ["192.0.2.14"], [I("postfix", "192.0.2.14")],
        version="3.6.4", out=9, mixw=mix(o365=30), spf=True, label="Office 365 5.7.511 from 19 Nov"),
    VPS("vps-c1011-01", "c1011", "sm-mail", "postlog", ["192.0.2.30"], [I("postfix", "192.0.2.30")],
        version="3.8.6", out=7, hosting="gws", multigz=True,
        forced=[(at(15, 9, 12, 48.6), "lindqvist-arkitekter.example", ""),
                (at(17, 14, 30, 9.1), "lindqvist-arkitekter.example", ""),
                (at(19, 16, 5, 51.0), "lindqvist-arkitekter.example", "")],
        label="single IPv4; 451 4.7.1 without IP, one message expires"),
    VPS("vps-c1004-02", "c1004", "np-mail", "rfc3339", ["192.0.2.33", "2001:db8:10:4::/64"],
        [I("postfix", "192.0.2.33", "2001:db8:10:4::25")], tz=60, version="3.9.1", out=10,
        mixw=mix(gmail=45), tls=True, label="dual stack; Gmail IPv6 block from 17 Nov"),
    VPS("vps-c1011-02", "c1011", "sm-news", "rfc3164", ["192.0.2.47"], [I("postfix", "192.0.2.47")],
        version="3.7.11", out=7, mixw=mix(olc=20), campaign_daemon="out2/smtp", hosting="gws",
        dovecot=False, campaigns=[(at(19, 10, 15), 34, 40, 0), (at(20, 14, 0), 26, 30, 0)],
        label="postfix/out2/smtp newsletters; 4.7.650 19-21 Nov"),
    VPS("vps-c1013-01", "c1013", "qe-mail", "rfc3339", ["192.0.2.101"], [I("postfix", "192.0.2.101")],
        tz=0, version="3.8.6", out=7, campaign_ip="192.0.2.102", mixw=mix(yahoo=10),
        campaigns=[(at(16, 11, 0), 30, 30, 0), (at(18, 15, 0), 30, 30, 0), (at(20, 10, 0), 30, 30, 0)],
        label="newsletters from 192.0.2.102, which the inventory lacks"),
    VPS("vps-c1012-02", "c1012", "gl-shop", "rfc3164", ["192.0.2.115", "2001:db8:10:12::25"],
        [I("postfix", "192.0.2.115", "2001:db8:10:12::25")], log="maillog", version="3.5.25", uid=48,
        out=9, mixw=mix(gmail=40), label="dual stack; clean IPv6 to Gmail"),
    VPS("vps-c1006-02", "c1006", "ostara-web", "rfc3164", ["192.0.2.140"], [I("postfix", "192.0.2.140")],
        version="3.4.13", out=7, dovecot=False, hosting="gws", cron=True, label="clean"),
    VPS("vps-c1007-02", "c1007", "vt-mail", "rfc3339", ["192.0.2.160"], [I("postfix", "192.0.2.160")],
        tz=60, version="3.7.11", out=6, inb=6, imap=7, spf=True, tls=True, label="clean (lmtp)"),
]

INBOUND = [  # (ptr, ip, helo, from-domain, msgid-style, dkim)
    ("mail-ej1-f48.google.com", "209.85.218.48", "gmail.com", "gmail"),
    ("mail-wr1-f54.google.com", "209.85.221.54", "gmail.com", "gmail"),
    ("mail-lf1-f41.google.com", "209.85.167.41", "gmail.com", "gmail"),
    ("mail-db8eur05on2101.outbound.protection.outlook.com", "40.107.20.101", "hotmail.com", "outlook"),
    ("mail-am6eur05on2043.outbound.protection.outlook.com", "40.107.22.43", "fabrikam.com", "outlook"),
    ("mail-vi1eur02on2098.outbound.protection.outlook.com", "40.107.241.98", "contoso.com", "outlook"),
    ("a8-31.smtp-out.amazonses.com", "54.240.8.31", "amazonses.com", "ses"),
    ("mail181.atl221.rsgsv.net", "198.2.181.45", "mcsv.net", "mailchimp"),
    ("sonic316-21.consmr.mail.ir2.yahoo.com", "77.238.178.96", "yahoo.co.uk", "yahoo"),
]
SCANNERS = ["80.94.95.116", "80.94.95.228", "141.98.11.27", "193.32.162.35", "87.120.84.9",
            "45.144.212.240", "185.226.197.61", "78.153.140.177", "194.169.175.14", "91.92.242.118"]
CLIENTS = ["86.150.12.34", "82.12.107.51", "91.64.33.208", "109.151.60.2", "151.227.94.17",
           "178.238.11.73", "2a02:c7c:5a1e:4e00:d1c:21f0:8e3b:19a4", "90.246.8.130", "31.52.176.44",
           "2a02:8109:b240:41c8:9264:99a9:1b0d:15c8"]
TLS_DESC = {
    "google": "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (P-256) server-digest SHA256",
    "ms": "TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
    "yahoo": "TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
    "biz": "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (4096 bits) server-digest SHA256",
}


# --------------------------------------------------------------------------------------
# Per-VPS simulation
# --------------------------------------------------------------------------------------

class Ev:
    __slots__ = ("t", "seq", "prog", "kind", "key", "sess", "msg", "inline")

    def __init__(self, t, seq, prog, kind, key, sess, msg, inline):
        self.t, self.seq, self.prog, self.kind = t, seq, prog, kind
        self.key, self.sess, self.msg, self.inline = key, sess, msg, inline


class Sim:
    def __init__(self, world, v, stats):
        self.w, self.v, self.stats = world, v, stats
        self.r = rng_for("vps", v.id)
        self.ev = []
        self.seq = 0
        self.nsess = 0
        self.qids = set()
        self.inode_digits = {0: 5, 1: 6, 2: 6, 3: 7}[self.r.randint(0, 3)]
        self.inode_base = self.r.randint(16 ** (self.inode_digits - 1), 16 ** self.inode_digits - 5000)
        self.forced_done = set()

    # -- low level -------------------------------------------------------------------------
    def emit(self, t, prog, msg, kind="pool", key=None, sess=None, inline=False):
        if t < T0 or t >= T_END:
            return
        self.seq += 1
        self.ev.append(Ev(t, self.seq, prog, kind, key or prog, sess, msg, inline))

    def sess(self):
        self.nsess += 1
        return self.nsess

    def qid(self, t):
        usec = int(round((t % 1) * 1e6)) % 1000000
        while True:
            q = "%05X%X" % (usec, self.inode_base + self.r.randint(0, 4000))
            if q not in self.qids:
                self.qids.add(q)
                return q

    def stat(self, ip, label):
        self.stats[(ip, label)] += 1

    # -- helpers -----------------------------------------------------------------------------
    def msgid(self, t, q, sender):
        r = self.r
        dom = sender.split("@")[1] if "@" in sender else self.v.fqdn
        k = r.randint(0, 3)
        if k == 0:
            lt = datetime.fromtimestamp(t + self.v.tz * 60, UTC)
            return "%s.%s@%s" % (lt.strftime("%Y%m%d%H%M%S"), q, self.v.fqdn)
        if k == 1:
            return "%s@%s" % (b64s(r, 32).replace("+", "").replace("/", ""), dom)
        if k == 2:
            return "%s-%s-%s-%s-%s@%s" % (hexs(r, 8, False), hexs(r, 4, False), hexs(r, 4, False),
                                          hexs(r, 4, False), hexs(r, 12, False), dom)
        return "%s.%s@%s" % (hexs(r, 16, False), int(t), dom)

    def tls_line(self, t, prog, sess, mx, ip, dest):
        if not self.v.tls:
            return
        trust = "Trusted" if self.v.tls_ca else "Untrusted"
        host = "%s[%s]:25" % (mx, ip)
        self.emit(t, prog, "%s TLS connection established to %s: %s" % (trust, host, TLS_DESC[dest.tls]), sess=sess)

    def ok_reply(self, dest, t, rcpt, size, mid):
        r = self.r
        if dest.ok == "google":
            return "2.0.0", "250 2.0.0 OK  %d %s - gsmtp" % (int(t), gsmtp_id(r))
        if dest.ok in ("ms-olc", "ms-o365"):
            olc = dest.ok == "ms-olc"
            host = "%s%sMB%04d.%s.prod.outlook.com" % (
                r.choice(["PH0PR19", "DS7PR19", "SA1PR12", "CY8PR11"] if olc else
                         ["AM9PR07", "DB9PR04", "PAXPR08", "AS8PR03", "VI1PR06"]),
                "", r.randint(1000, 9999),
                r.choice(["namprd19", "namprd12", "namprd11"] if olc else ["eurprd07", "eurprd04", "eurprd08", "eurprd03"]))
            secs = r.uniform(0.03, 0.4)
            b = size + r.randint(900, 2400)
            s = "250 2.6.0 <%s> [InternalId=%d, Hostname=%s] %d bytes in %.3f, %.3f KB/sec Queued mail for delivery" % (
                mid, r.randint(10 ** 13, 10 ** 14 - 1), host, b, secs, b / 1024.0 / secs)
            if olc:
                s += " -> 250 2.1.5"
            return "2.6.0", s
        if dest.ok == "yahoo":
            return "2.0.0", "250 ok dirdel"
        if dest.ok == "gmx":
            return "2.0.0", "250 Requested mail action okay, completed: id=1M%s-1u%s-00%s" % (
                b64s(r, 4).replace("/", "x").replace("+", "Q"), b64s(r, 8).replace("/", "k").replace("+", "Z"),
                b64s(r, 4).replace("/", "p").replace("+", "W"))
        return "2.0.0", "250 2.0.0 Ok: queued as %s" % hexs(r, r.choice([10, 11, 12]))

    def unknown_reply(self, dest, rcpt, t):
        r = self.r
        if dest.cls in ("gmail", "gws"):
            return "5.1.1", reply_gmail_nosuchuser(r), "RCPT TO"
        if dest.cls == "olc":
            return "5.5.0", "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). %s" % ms_stamp(r, t, r.random() < 0.5), "RCPT TO"
        if dest.cls == "o365":
            if r.random() < 0.5:
                return "5.4.1", "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) %s" % ms_stamp(r, t), "RCPT TO"
            return "5.4.1", "550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors %s" % ms_stamp(r, t), "RCPT TO"
        if dest.cls == "yahoo":
            return "5.0.0", "554 delivery error: dd This user doesn't have a %s account (%s) [0] - mta%d.mail.%s.yahoo.com" % (
                dest.domain, rcpt, r.randint(1000, 4999), r.choice(["ir2", "bf2", "gq1", "ne1"])), "end of DATA"
        if dest.cls == "misc" and dest.ok == "gmx":
            return "5.0.0", "550 Requested action not taken: mailbox unavailable", "RCPT TO"
        if r.random() < 0.3:
            return "5.2.2", "552 5.2.2 Mailbox full", "RCPT TO"
        return "5.1.1", "550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table" % rcpt, "RCPT TO"

    def outcome(self, src, dest, rcpt, t, variant, bad, attempt):
        """-> (status, dsn, reply, command, extra) ; status in sent/bounced/deferred."""
        r = self.r
        if variant in ("S3150", "AS3140") and (self.v.id, variant) not in self.forced_done:
            self.forced_done.add((self.v.id, variant))
            self.stat(src, "Outlook.com %s block" % variant)
            return "bounced", "5.7.1", reply_s3140(r, src, t, variant), "MAIL FROM", "lost"
        if variant == "spamhaus_ms":
            self.stat(src, "Microsoft 550 5.7.1 blocked using Spamhaus (AS3130)")
            return "bounced", "5.7.1", reply_spamhaus_ms(r, src), "RCPT TO", None
        if bad == "unknown":
            dsn, txt, cmd = self.unknown_reply(dest, rcpt, t)
            self.stat("-", "recipient problem %s (not an IP block)" % dsn)
            return "bounced", dsn, txt, cmd, None
        for rule in RULES_BY_IP.get(src, ()):
            if dest.cls in rule.classes and rule.start <= t < rule.end and r.random() < rule.p:
                k = rule.kind
                self.stat(src, rule.label)
                if k == "s3140":
                    return "bounced", "5.7.1", reply_s3140(r, src, t), "MAIL FROM", "lost"
                if k == "5606":
                    return "bounced", "5.7.606", reply_5606(r, src, t), "RCPT TO", None
                if k == "5511":
                    return "bounced", "5.7.511", reply_5511(r, src, t), "RCPT TO", None
                if k == "4650":
                    return "deferred", "4.7.650", reply_4650(r, src, t), "MAIL FROM", "nonfinal"
                if k == "4500":
                    return "deferred", "4.7.500", reply_4500(r, src, t), "RCPT TO", None
                if k == "zen" and dest.zen:
                    return "bounced", "5.7.1", reply_zen(src), "RCPT TO", None
                if k == "gmail6" and ":" in src:
                    return "bounced", "5.7.1", reply_gmail6(r, src), "end of DATA", None
                if k == "gmail421":
                    return "deferred", "4.7.28", reply_gmail421(r, src), "end of DATA", None
                if k == "tss04":
                    return "deferred", "4.7.0", reply_tss04(src), "MAIL FROM", "nonfinal"
                self.stats[(src, rule.label)] -= 1
        if dest.noip_until and t < dest.noip_until:
            self.stat(src, "451 4.7.1 deferral quoting no IP (%s)" % dest.mxs[0][0])
            return "deferred", "4.7.1", "451 4.7.1 Service unavailable - try again later", "RCPT TO", None
        if dest.greylist and attempt == 0 and r.random() < 0.5:
            return "deferred", "4.2.0", ("450 4.2.0 <%s>: Recipient address rejected: Greylisted, see "
                                         "http://postgrey.schweikert.ch/help/%s.html" % (rcpt, dest.domain)), "RCPT TO", None
        return "sent", None, None, None, None

    # -- delivery --------------------------------------------------------------------------
    def deliver(self, q, inst, daemon, dest, rcpts, t_arr, t_act, t, sender, size, mid, variant, bads, attempt,
                src_override=None):
        """One smtp session to one destination. Returns (t_end, {rcpt: status})."""
        r, v = self.r, self.v
        prog = "%s/%s" % (inst.name, daemon)
        s = self.sess()
        use6 = bool(dest.v6 and inst.ip6 and not src_override and r.random() < 0.85)
        src = src_override or (inst.ip6 if use6 else inst.ip4)
        mxs = dest.v6 if use6 else dest.mxs
        mx_i = 0
        b = r.uniform(0.0, 0.05)
        c = r.uniform(0.05, 0.9)
        tt = t + b
        tt += c * 0.85
        if dest.flaky and len(mxs) > 1 and r.random() < 0.08:
            ip = r.choice(mxs[0][1])
            self.emit(t + b + 30.0 + r.uniform(0, 0.05), prog, "connect to %s[%s]:25: Connection timed out" % (mxs[0][0], ip), sess=s)
            tt += 30.0
            c += 30.0
            mx_i = 1
        mx, ips = mxs[mx_i]
        ip = r.choice(ips)
        self.tls_line(tt, prog, s, mx, ip, dest)
        results = {}
        # decide outcome once per session (same reply for every recipient of the session)
        st, dsn, reply, cmd, extra = self.outcome(src, dest, rcpts[0], t, variant, None, attempt)
        if extra == "nonfinal" and r.random() < 0.5 and (len(mxs) > 1 or len(ips) > 1):
            # first MX/address answers the same, Postfix moves on and logs the last one as final
            self.emit(tt + r.uniform(0.05, 0.3), prog, "%s: host %s[%s] said: %s (in reply to %s command)" % (
                q, mx, ip, reply, cmd), sess=s)
            if len(mxs) > mx_i + 1:
                mx, ips = mxs[mx_i + 1]
            ip = r.choice([x for x in ips if x != ip] or ips)
            tt += r.uniform(0.3, 1.2)
            c += 0.9
            if st == "deferred" and dest.cls == "olc":
                reply = reply_4650(r, src, tt)
            self.stat(src, "(non-final 'host ... said:' line before the final one)")
        d = r.uniform(0.04, 0.8) if st == "sent" else r.uniform(0.01, 0.2)
        tend = tt + d
        for i, rc in enumerate(rcpts):
            if st == "sent" and bads.get(rc) == "unknown":
                st2, dsn2, reply2, cmd2, _ = self.outcome(src, dest, rc, t, "", "unknown", attempt)
            else:
                st2, dsn2, reply2, cmd2 = st, dsn, reply, cmd
            a = t_act - t_arr + r.uniform(0.003, 0.02) if attempt else (t_act - t_arr)
            delay = a + b + c + d
            delays = "/".join(pf_delay(x) for x in (a, b, c, d))
            if st2 == "sent":
                dsn2, txt = self.ok_reply(dest, tend, rc, size, mid)
                status = "sent (%s)" % txt
            else:
                status = "%s (host %s[%s] said: %s (in reply to %s command))" % (st2, mx, ip, reply2, cmd2)
            self.emit(tend + i * 0.0002, prog, "%s: to=<%s>, relay=%s[%s]:25, delay=%s, delays=%s, dsn=%s, status=%s" % (
                q, rc, mx, ip, pf_delay(delay), delays, dsn2, status), sess=s)
            results[rc] = st2
        if extra == "lost" and r.random() < 0.55:
            self.emit(tend + 0.001, prog, "%s: lost connection with %s[%s] while sending RCPT TO" % (q, mx, ip), sess=s)
        return tend, results

    def deliver_ndr_to(self, nq, inst, t, sender, size, ndr_mid):
        """Deliver a bounce (from=<>) to the original sender. Returns end time."""
        r, v = self.r, self.v
        dom = sender.split("@")[1]
        if dom == v.fqdn:  # system user
            user = sender.split("@")[0]
            te = t + r.uniform(0.005, 0.05)
            self.emit(te, inst.name + "/local", "%s: to=<%s>, relay=local, delay=%s, delays=%s, dsn=2.0.0, status=sent (delivered to mailbox)" % (
                nq, sender, pf_delay(te - t + 0.01), "0.01/%s/0/%s" % (pf_delay(r.uniform(0, 0.02)), pf_delay(te - t))), sess=self.sess())
            return te
        if v.hosting == "local":
            if inst is not v.inbound_inst:  # postfix-out hands the bounce to the inbound instance
                te = t + r.uniform(0.02, 0.1)
                iq = self.qid(te - 0.01)
                self.emit(te, inst.name + "/smtp", "%s: to=<%s>, relay=127.0.0.1[127.0.0.1]:25, delay=%s, delays=0.01/0/0.01/%s, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as %s)" % (
                    nq, sender, pf_delay(te - t + 0.01), pf_delay(te - t), iq), sess=self.sess())
                ss = self.sess()
                P = v.inbound_inst.name
                self.emit(te - 0.012, P + "/smtpd", "connect from localhost[127.0.0.1]", sess=ss)
                self.emit(te - 0.01, P + "/smtpd", "%s: client=localhost[127.0.0.1]" % iq, sess=ss)
                self.emit(te - 0.008, P + "/cleanup", "%s: message-id=<%s>" % (iq, ndr_mid), sess=self.sess())
                self.emit(te - 0.004, P + "/qmgr", "%s: from=<>, size=%d, nrcpt=1 (queue active)" % (iq, size + 600), kind="fixed")
                self.emit(te + 0.001, P + "/smtpd", "disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5", sess=ss)
                te2 = self.lmtp(iq, v.inbound_inst, te + 0.002, sender, None, "<%s>" % ndr_mid)
                self.emit(te2 + 0.001, P + "/qmgr", "%s: removed" % iq, kind="fixed")
                return te
            orig = None
            user = sender
            if sender.split("@")[0] in ("noreply", "no-reply", "wordpress", "newsletter", "tickets", "bookings"):
                orig, user = sender, "info@" + dom
            return self.lmtp(nq, inst, t, user, orig, "<%s>" % ndr_mid)
        # sender's domain is hosted elsewhere (Google Workspace / Microsoft 365)
        d = self.w.dests["_self_" + v.id] if ("_self_" + v.id) in self.w.dests else None
        if d is None:
            if v.hosting == "o365":
                tn = v.domain.replace(".", "-") + ".mail.protection.outlook.com"
                net = r.choice(O365_NETS)
                d = Dest(v.domain, "o365", [(tn, ["%s.%d" % (net, r.randint(1, 200))])], ok="ms-o365", tls="ms")
            else:
                d = Dest(v.domain, "gws", [("aspmx.l.google.com", ASPMX_V4[:2]), ("alt1.aspmx.l.google.com", ASPMX_V4[2:])],
                         ok="google", tls="google")
            self.w.dests["_self_" + v.id] = d
        te, _ = self.deliver(nq, inst, "smtp", d, [sender], t - 0.02, t - 0.01, t, "", size, ndr_mid, "", {}, 0)
        return te

    def lmtp(self, q, inst, t, rcpt, orig, mid):
        r, v = self.r, self.v
        b = r.uniform(0.001, 0.02)
        c = r.uniform(0.001, 0.02)
        d = r.uniform(0.01, 0.25)
        te = t + b + c + d
        ds = self.sess()
        self.emit(t + b + c * 0.5, "dovecot", "lmtp({PID}): Connect from local", key="dovecot-lmtp", sess=ds, inline=True)
        sid = b64s(r, 22)
        o = (", orig_to=<%s>" % orig) if orig else ""
        self.emit(te, inst.name + "/lmtp", "%s: to=<%s>%s, relay=%s[private/dovecot-lmtp], delay=%s, delays=%s, dsn=2.0.0, status=sent (250 2.0.0 <%s> %s Saved)" % (
            q, rcpt, o, v.fqdn, pf_delay(te - t + 0.01), "0.01/%s/%s/%s" % (pf_delay(b), pf_delay(c), pf_delay(d)), rcpt, sid), sess=self.sess())
        if mid:
            self.emit(te - 0.002, "dovecot", "lmtp(%s)<{PID}><%s>: msgid=%s: saved mail to INBOX" % (rcpt, sid, mid),
                      key="dovecot-lmtp", sess=ds, inline=True)
        self.emit(te + 0.001, "dovecot", "lmtp({PID}): Disconnect from local: Client has quit the connection (state=READY)",
                  key="dovecot-lmtp", sess=ds, inline=True)
        return te

    def ndr(self, q, inst, t, sender, size, expired=False):
        r, v = self.r, self.v
        P = inst.name
        if expired:
            self.emit(t, P + "/qmgr", "%s: from=<%s>, status=expired, returned to sender" % (q, sender), kind="fixed")
            self.stat("-", "qmgr status=expired")
        t1 = t + r.uniform(0.002, 0.02)
        nq = self.qid(t1)
        lt = datetime.fromtimestamp(t1 + v.tz * 60, UTC).strftime("%Y%m%d%H%M%S")
        ndr_mid = "%s.%s@%s" % (lt, nq, v.fqdn)
        self.emit(t1, P + "/cleanup", "%s: message-id=<%s>" % (nq, ndr_mid), sess=self.sess())
        nsize = r.randint(2600, 7800) + min(size, 3000)
        self.emit(t1 + 0.002, P + "/qmgr", "%s: from=<>, size=%d, nrcpt=1 (queue active)" % (nq, nsize), kind="fixed")
        self.emit(t1 + 0.003, P + "/bounce", "%s: sender non-delivery notification: %s" % (q, nq), sess=self.sess())
        self.emit(t1 + 0.004, P + "/qmgr", "%s: removed" % q, kind="fixed")
        if sender:
            te = self.deliver_ndr_to(nq, inst, t1 + 0.01, sender, nsize, ndr_mid)
        else:
            te = t1 + 0.01
        self.emit(te + 0.001, P + "/qmgr", "%s: removed" % nq, kind="fixed")

    def message(self, t, inst, sender, rcpts, origin, variant="", daemon="smtp", src=None, size=None):
        """Full life of one outbound message."""
        r, v = self.r, self.v
        P = inst.name
        q = self.qid(t)
        mid = self.msgid(t, q, sender)
        size = size or int(r.lognormvariate(8.6, 0.9)) + 900
        ss = None
        if origin == "pickup":
            uid = 0 if sender.startswith("root@") else v.uid
            self.emit(t, P + "/pickup", "%s: uid=%d from=<%s>" % (q, uid, sender if uid else "root"), kind="fixed")
        else:
            ss = self.sess()
            client = r.choice(CLIENTS)
            self.emit(t - r.uniform(0.2, 0.9), P + "/submission/smtpd", "connect from unknown[%s]" % client, sess=ss)
            self.emit(t, P + "/submission/smtpd", "%s: client=unknown[%s], sasl_method=PLAIN, sasl_username=%s" % (q, client, sender), sess=ss)
        t1 = t + r.uniform(0.003, 0.03)
        self.emit(t1, P + "/cleanup", "%s: message-id=<%s>" % (q, mid), sess=self.sess())
        if v.opendkim:
            self.emit(t1 + 0.004, "opendkim", "%s: DKIM-Signature field added (s=%s, d=%s)" % (
                q, "mail" if v.id < "vps-c1006" else "default", sender.split("@")[1]), kind="fixed")
        t2 = t1 + r.uniform(0.005, 0.03)
        self.emit(t2, P + "/qmgr", "%s: from=<%s>, size=%d, nrcpt=%d (queue active)" % (q, sender, size, len(rcpts)), kind="fixed")
        if ss:
            self.emit(t2 + r.uniform(0.001, 0.02), P + "/submission/smtpd",
                      "disconnect from unknown[%s] ehlo=2 starttls=1 auth=1 mail=1 rcpt=%d data=1 quit=1 commands=%d" % (
                          client, len(rcpts), 7 + len(rcpts)), sess=ss)
        # bad recipients decided up front
        bads = {}
        for rc in rcpts:
            if r.random() < v.bad:
                bads[rc] = "unknown"
        pending = list(rcpts)
        bounced = False
        t_act = t2
        attempt = 0
        while True:
            groups = collections.OrderedDict()
            for rc in pending:
                groups.setdefault(rc.split("@")[1], []).append(rc)
            tdone = t_act
            ts_ = t_act + r.uniform(0.005, 0.05)
            still = []
            for dom, rs in groups.items():
                dest = self.w.dests[dom]
                te, res = self.deliver(q, inst, daemon, dest, rs, t, t_act, ts_, sender, size, mid, variant, bads, attempt, src)
                tdone = max(tdone, te)
                ts_ += r.uniform(0.0, 0.03)
                for rc, st in res.items():
                    if st == "bounced":
                        bounced = True
                    elif st == "deferred":
                        still.append(rc)
            pending = still
            if not pending:
                if bounced:
                    self.ndr(q, inst, tdone + r.uniform(0.01, 0.05), sender, size)
                else:
                    self.emit(tdone + r.uniform(0.001, 0.01), P + "/qmgr", "%s: removed" % q, kind="fixed")
                return
            if tdone - t >= LIFETIME:
                self.ndr(q, inst, tdone + 0.0005, sender, size, expired=True)
                return
            age = tdone - t
            backoff = min(max(age, 300.0), 4000.0)
            t_act = tdone + backoff + r.uniform(0, 300)
            if t_act >= T_END:
                return
            attempt += 1
            self.emit(t_act, P + "/qmgr", "%s: from=<%s>, size=%d, nrcpt=%d (queue active)" % (q, sender, size, len(rcpts)), kind="fixed")

    # -- traffic generators ----------------------------------------------------------------
    def rand_time(self):
        """A time in the window, weighted towards local office hours."""
        r = self.r
        while True:
            t = r.uniform(T0, T_END)
            h = ((t + self.v.tz * 60) % DAY) / 3600.0
            w = 1.0 if 8 <= h < 18 else (0.45 if 6 <= h < 22 else 0.12)
            if r.random() < w:
                return t

    def senders(self):
        v = self.v
        d = v.domain
        return [("noreply@" + d, "pickup", 5), ("info@" + d, "submission", 3),
                ("%s@%s" % (rng_for(v.id, "u1").choice(FIRST), d), "submission", 2),
                ("%s@%s" % (rng_for(v.id, "u2").choice(FIRST), d), "submission", 1),
                ("wordpress@" + d, "pickup", 1)]

    def pick_rcpt(self, mixw=None):
        r = self.r
        cls = wchoice(r, sorted((mixw or self.v.mix).items()))
        dom = self.w.pick_domain(r, cls)
        return "%s@%s" % (local_part(r, cls), dom)

    def run(self):
        r, v = self.r, self.v
        ndays = (T_END - T0) / DAY
        senders = self.senders()
        # ordinary outbound mail
        for _ in range(int(v.out * ndays)):
            t = self.rand_time()
            sender, origin, _w = senders[int(wchoice(r, [(str(i), s[2]) for i, s in enumerate(senders)]))]
            inst = v.insts[r.randrange(len(v.insts))]
            if inst.name.startswith("postfix-198.51.100.71"):
                sender = sender.split("@")[0] + "@news." + v.domain
            if v.inbound_inst is not v.insts[0] and origin == "submission":
                origin = "pickup"  # submission lives in the inbound instance; keep it simple
            n = 1 if r.random() < 0.82 else r.randint(2, 3)
            rcpts = sorted({self.pick_rcpt() for _ in range(n)})
            self.message(t, inst, sender, rcpts, origin)
        # cron mail to root / forwarded (only where cron noise is on)
        if v.cron:
            for day in range(15, 22):
                t = at(day, 6, 25, 3 + r.uniform(0, 40))
                q = self.qid(t)
                P = v.insts[0].name
                self.emit(t, P + "/pickup", "%s: uid=0 from=<root>" % q, kind="fixed")
                self.emit(t + 0.01, P + "/cleanup", "%s: message-id=<%s.%s@%s>" % (
                    q, datetime.fromtimestamp(t + v.tz * 60, UTC).strftime("%Y%m%d%H%M%S"), q, v.fqdn), sess=self.sess())
                self.emit(t + 0.02, P + "/qmgr", "%s: from=<root@%s>, size=%d, nrcpt=1 (queue active)" % (q, v.fqdn, r.randint(700, 4000)), kind="fixed")
                te = t + 0.05
                self.emit(te, P + "/local", "%s: to=<root@%s>, orig_to=<root>, relay=local, delay=0.05, delays=0.02/0.01/0/0.02, dsn=2.0.0, status=sent (delivered to mailbox)" % (q, v.fqdn), sess=self.sess())
                self.emit(te + 0.001, P + "/qmgr", "%s: removed" % q, kind="fixed")
        # campaigns (newsletters): one message per recipient
        for (tc, count, minutes, cm) in v.campaigns:
            cmix = dict(cm) if cm else dict(v.mix)
            for j in range(count):
                t = tc + j * (minutes * 60.0 / count) + r.uniform(0, 20)
                inst = v.insts[0]
                sender = "newsletter@" + v.domain
                if len(v.insts) > 1:
                    sender = "newsletter@news." + v.domain
                self.message(t, inst, sender, [self.pick_rcpt(cmix)], "pickup",
                             daemon=v.campaign_daemon, src=v.campaign_ip)
        # forced scenario messages
        for (tf, dom, variant) in v.forced:
            inst = v.insts[1] if variant == "inst1" else v.insts[0]
            cls = self.w.dests[dom].cls
            rc = "%s@%s" % (local_part(r, cls), dom)
            self.message(tf, inst, ("info@" if variant != "inst1" else "bookings@") + v.domain, [rc],
                         "pickup", variant="" if variant == "inst1" else variant)
        # inbound mail (only where dovecot delivers locally)
        if v.dovecot:
            for _ in range(int(v.inb * ndays)):
                self.inbound(self.rand_time())
            for _ in range(int(v.imap * ndays)):
                self.imap(self.rand_time())
        for _ in range(int(v.scanners * ndays)):
            self.scanner(r.uniform(T0, T_END))
        if v.cron:
            for day in range(15, 22):
                for hh in range(24):
                    t = at(day, hh, 17, r.uniform(0.0, 0.9)) - v.tz * 60
                    self.emit(t, "CRON", "(root) CMD (cd / && run-parts --report /etc/cron.hourly)", key="CRON", sess=self.sess())
                t = at(day, 6, 25, r.uniform(0.0, 0.9)) - v.tz * 60
                self.emit(t, "CRON", "(root) CMD (test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; })", key="CRON", sess=self.sess())
        if v.reload_at:
            self.emit(v.reload_at, "postfix/master", "reload -- version %s, configuration /etc/postfix" % v.version, kind="fixed")

    def inbound(self, t):
        r, v = self.r, self.v
        inst = v.inbound_inst
        P = inst.name
        ptr, ip, fdom, style = r.choice(INBOUND)
        s = self.sess()
        if style == "gmail":
            sender = "%s@gmail.com" % local_part(r, "gmail")
            mid = "CA%s@mail.gmail.com" % b64s(r, 52).replace("/", "_")
        elif style == "outlook":
            sender = "%s@%s" % (local_part(r, "o365" if fdom != "hotmail.com" else "olc"), fdom)
            srv = "%sPR%02dMB%04d" % (r.choice(["AM9", "DB9", "PA4", "VI1"]), r.randint(1, 9), r.randint(1000, 9999))
            mid = "%s%s@%s.eurprd0%d.prod.outlook.com" % (srv, hexs(r, 24), srv, r.randint(1, 8))
        elif style == "ses":
            sender = "%s@amazonses.com" % ("0102019a%s-%s-000000" % (hexs(r, 8, False), hexs(r, 8, False)))
            mid = "0102019a%s-%s-%s-%s-%s-000000@eu-west-1.amazonses.com" % (
                hexs(r, 8, False), hexs(r, 8, False), hexs(r, 4, False), hexs(r, 4, False), hexs(r, 12, False))
        elif style == "mailchimp":
            sender = "bounce-mc.us21_%d.%d-%s=%s@mail181.atl221.mcdlv.net" % (
                r.randint(10 ** 7, 10 ** 8), r.randint(10 ** 6, 10 ** 7), hexs(r, 10, False), v.domain.split(".")[0])
            mid = "%s.%s@mail181.atl221.rsgsv.net" % (hexs(r, 20, False), hexs(r, 10, False))
        else:
            sender = "%s@yahoo.co.uk" % local_part(r, "yahoo")
            mid = "%d.%d.%d@mail.yahoo.com" % (r.randint(10 ** 8, 10 ** 9), r.randint(10 ** 8, 10 ** 9), r.randint(10 ** 12, 10 ** 13))
        user = "%s@%s" % (r.choice(["info", "office", "accounts"] + FIRST[:6]), v.domain)
        self.emit(t, P + "/smtpd", "connect from %s[%s]" % (ptr, ip), sess=s)
        if r.random() < 0.05:  # our server rejects an unknown recipient (inbound; not outbound evidence)
            bad = "%s@%s" % (r.choice(FIRST), v.domain)
            self.emit(t + 0.4, P + "/smtpd", "NOQUEUE: reject: RCPT from %s[%s]: 550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table; from=<%s> to=<%s> proto=ESMTP helo=<%s>" % (
                ptr, ip, bad, sender, bad, ptr), sess=s)
            self.emit(t + 0.5, P + "/smtpd", "disconnect from %s[%s] ehlo=2 starttls=1 mail=1 rcpt=0/1 quit=1 commands=5/6" % (ptr, ip), sess=s)
            return
        if v.spf:
            self.emit(t + 0.21, "policyd-spf", "prepend Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=%s; helo=%s; envelope-from=%s; receiver=%s " % (
                ip, ptr, sender, user), sess=s, key="policyd-spf")
        t1 = t + r.uniform(0.25, 0.6)
        q = self.qid(t1)
        self.emit(t1, P + "/smtpd", "%s: client=%s[%s]" % (q, ptr, ip), sess=s)
        t2 = t1 + r.uniform(0.05, 0.4)
        self.emit(t2, P + "/cleanup", "%s: message-id=<%s>" % (q, mid), sess=self.sess())
        if v.opendkim:
            self.emit(t2 + 0.01, "opendkim", "%s: %s [%s] not internal" % (q, ptr, ip), kind="fixed")
            self.emit(t2 + 0.011, "opendkim", "%s: not authenticated" % q, kind="fixed")
            self.emit(t2 + 0.05, "opendkim", "%s: DKIM verification successful" % q, kind="fixed")
        size = int(r.lognormvariate(9.2, 1.0)) + 2000
        t3 = t2 + r.uniform(0.06, 0.2)
        self.emit(t3, P + "/qmgr", "%s: from=<%s>, size=%d, nrcpt=1 (queue active)" % (q, sender, size), kind="fixed")
        cmd = "bdat=1" if style == "gmail" else "data=1"
        self.emit(t3 + r.uniform(0.01, 0.1), P + "/smtpd", "disconnect from %s[%s] ehlo=2 starttls=1 mail=1 rcpt=1 %s quit=1 commands=%d" % (
            ptr, ip, cmd, 7), sess=s)
        te = self.lmtp(q, inst, t3 + 0.002, user, None, "<%s>" % mid)
        self.emit(te + 0.002, P + "/qmgr", "%s: removed" % q, kind="fixed")

    def imap(self, t):
        r, v = self.r, self.v
        user = "%s@%s" % (r.choice(["info", "office"] + FIRST[:5]), v.domain)
        s = self.sess()
        sess = b64s(r, 16)
        rip = r.choice(CLIENTS)
        lip = v.insts[0].ip4 if ":" not in rip else (v.insts[0].ip6 or v.insts[0].ip4)
        self.emit(t, "dovecot", "imap-login: Login: user=<%s>, method=PLAIN, rip=%s, lip=%s, mpid={PID}, TLS, session=<%s>" % (
            user, rip, lip, sess), key="dovecot-imap", sess=s, inline=True)
        dur = r.uniform(20, 3600)
        self.emit(t + dur, "dovecot", "imap(%s)<{PID}><%s>: Logged out in=%d out=%d deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=%d body_bytes=%d" % (
            user, sess, r.randint(200, 9000), r.randint(900, 400000), r.randint(0, 12), r.randint(0, 900000)),
            key="dovecot-imap", sess=s, inline=True)

    def scanner(self, t):
        r, v = self.r, self.v
        P = v.inbound_inst.name
        ip = r.choice(SCANNERS)
        s = self.sess()
        k = r.randint(0, 3)
        self.emit(t, P + "/smtpd", "connect from unknown[%s]" % ip, sess=s)
        if k == 0:
            self.emit(t + r.uniform(1, 4), P + "/smtpd", "warning: unknown[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6" % ip, sess=s)
            self.emit(t + r.uniform(4, 6), P + "/smtpd", "disconnect from unknown[%s] ehlo=1 auth=0/1 rset=1 quit=1 commands=3/4" % ip, sess=s)
        elif k == 1:
            self.emit(t + r.uniform(0.5, 2), P + "/smtpd", "NOQUEUE: reject: RCPT from unknown[%s]: 454 4.7.1 <spameri@tiscali.it>: Relay access denied; from=<spameri@tiscali.it> to=<spameri@tiscali.it> proto=ESMTP helo=<WIN-CLJ1B0GQ6JP>" % ip, sess=s)
            self.emit(t + r.uniform(2, 3), P + "/smtpd", "disconnect from unknown[%s] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4" % ip, sess=s)
        elif k == 2:
            self.emit(t + r.uniform(0.2, 9), P + "/smtpd", "lost connection after AUTH from unknown[%s]" % ip, sess=s)
            self.emit(t + 9.5, P + "/smtpd", "disconnect from unknown[%s] ehlo=1 auth=0/1 commands=1/2" % ip, sess=s)
        else:
            self.emit(t + r.uniform(0.1, 2), P + "/smtpd", "lost connection after CONNECT from unknown[%s]" % ip, sess=s)
            self.emit(t + 2.1, P + "/smtpd", "disconnect from unknown[%s] commands=0/0" % ip, sess=s)
        # anvil reports when it goes idle (not after every connection: other clients keep it busy)
        if r.random() < 0.5:
            return
        ta = t + 600 + r.uniform(0, 60)
        a = self.sess()
        when = datetime.fromtimestamp(t + v.tz * 60, UTC)
        stamp = "%s %2d %s" % (MONTHS[when.month - 1], when.day, when.strftime("%H:%M:%S"))
        self.emit(ta, P + "/anvil", "statistics: max connection rate 1/60s for (smtp:%s) at %s" % (ip, stamp), sess=a, key="anvil")
        self.emit(ta, P + "/anvil", "statistics: max connection count 1 for (smtp:%s) at %s" % (ip, stamp), sess=a, key="anvil")
        if k in (0, 2):
            self.emit(ta, P + "/anvil", "statistics: max auth rate 1/60s for (smtp:%s) at %s" % (ip, stamp), sess=a, key="anvil")
        self.emit(ta, P + "/anvil", "statistics: max cache size 1 at %s" % stamp, sess=a, key="anvil")


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------

NOREUSE = {"CRON", "anvil"}


def assign_pids(v, events):
    r = rng_for("pids", v.id)
    state = {"next": r.randint(80000, 900000)}
    state["start"] = state["next"]

    def newpid():
        state["next"] += r.randint(3, 260)
        if state["next"] > 4194000:
            state["next"] = 300 + r.randint(0, 900)
        return state["next"]

    sess_end = {}
    for e in events:
        if e.kind == "pool":
            k = (e.key, e.sess)
            sess_end[k] = max(sess_end.get(k, e.t), e.t)
    fixed = {}
    pools = collections.defaultdict(list)   # key -> [[pid, busy_until, uses]]
    sess_pid = {}
    pids = []
    for e in events:
        if e.kind == "fixed":
            gen = 1 if (v.reload_at and e.t >= v.reload_at and e.prog != "postfix/master"
                        and e.prog not in ("opendkim",)) else 0
            k = (e.key, gen)
            if k not in fixed:
                fixed[k] = newpid() if gen else max(300, state["start"] - r.randint(500, 60000))
            pids.append(fixed[k])
            continue
        sk = (e.key, e.sess)
        if sk in sess_pid:
            pids.append(sess_pid[sk])
            continue
        pool = pools[e.key]
        chosen = None
        if e.key not in NOREUSE:
            for p in reversed(pool):
                if p[1] <= e.t and e.t - p[1] <= 100 and p[2] < 100:
                    chosen = p
                    break
        if chosen is None:
            chosen = [newpid(), 0.0, 0]
            pool.append(chosen)
            if len(pool) > 40:
                del pool[0]
        chosen[1] = sess_end.get(sk, e.t)
        chosen[2] += 1
        sess_pid[sk] = chosen[0]
        pids.append(chosen[0])
    return pids


def render_ts(v, t):
    lt = datetime.fromtimestamp(t, UTC) + timedelta(minutes=v.tz)
    if v.style == "rfc3339":
        off = "+%02d:%02d" % (v.tz // 60, v.tz % 60)
        return lt.strftime("%Y-%m-%dT%H:%M:%S.") + "%06d" % lt.microsecond + off
    if v.style == "postlog":
        return "%s %02d %s" % (MONTHS[lt.month - 1], lt.day, lt.strftime("%H:%M:%S"))
    return "%s %2d %s" % (MONTHS[lt.month - 1], lt.day, lt.strftime("%H:%M:%S"))


def render(v, events):
    events.sort(key=lambda e: (e.t, e.seq))
    pids = assign_pids(v, events)
    host = v.host.split(".")[0]
    out = []
    for e, pid in zip(events, pids):
        if e.inline:
            line = "%s %s %s: %s" % (render_ts(v, e.t), host, e.prog, e.msg.replace("{PID}", str(pid)))
        else:
            line = "%s %s %s[%d]: %s" % (render_ts(v, e.t), host, e.prog, pid, e.msg)
        out.append((e.t, line))
    return out


def write_logs(v, lines, logdir):
    d = os.path.join(logdir, v.id)
    os.makedirs(d)
    base = v.log
    parts = [
        (base + ".2.gz", T0, at(17)),
        (base + ".1", at(17), at(20)),
        (base, at(20), T_END),
    ]
    written = []
    for name, a, b in parts:
        chunk = [(t, l) for (t, l) in lines if a <= t < b]
        path = os.path.join(d, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if name.endswith(".gz"):
            if v.multigz:  # two members, as `cat day15.gz day16.gz` makes
                mid = at(16)
                m1 = "".join(l + "\n" for t, l in chunk if t < mid).encode()
                m2 = "".join(l + "\n" for t, l in chunk if t >= mid).encode()
                data = gzip.compress(m1, 9, mtime=0) + gzip.compress(m2, 9, mtime=0)
            else:
                data = gzip.compress("".join(l + "\n" for t, l in chunk).encode(), 9, mtime=0)
        else:
            data = "".join(l + "\n" for t, l in chunk).encode()
        with open(path, "wb") as f:
            f.write(data)
        last = chunk[-1][0] if chunk else a
        mt = int(last) + 1 + (zlib_crc(v.id + name) % 30)
        os.utime(path, (mt, mt))
        written.append((path, len(chunk), len(data)))
    return written


def zlib_crc(s):
    import zlib
    return zlib.crc32(s.encode())


# --------------------------------------------------------------------------------------
# Non-Postfix VPSes: Exim, OpenSMTPD, Sendmail
#
# Each has its own random stream (rng_for("vps", id)); the Postfix fleet above is generated
# exactly as before.  Receiver behaviour reuses Sim.outcome() (same RULES table, same texts).
# --------------------------------------------------------------------------------------

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n, width):
    s = ""
    for _ in range(width):
        s = B62[n % 62] + s
        n //= 62
    return s


def exim_multiline(reply):
    """Postfix joined a multi-line reply with spaces; Exim keeps a literal backslash-n."""
    m = re.match(r"(\d{3})-(\d\.\d{1,3}\.\d{1,3}) ", reply)
    if not m:
        return reply
    code, enh = m.groups()
    return re.sub(r" (?=%s[- ]%s )" % (code, re.escape(enh)), lambda _m: "\\n", reply)


def last_reply_line(reply):
    """Sendmail keeps only the last line of a multi-line reply in SmtpReplyBuffer."""
    m = re.match(r"(\d{3})-(\d\.\d{1,3}\.\d{1,3}) ", reply)
    if not m:
        return reply
    code, enh = m.groups()
    i = reply.rfind(" %s %s " % (code, enh))
    return reply[i + 1:] if i >= 0 else reply


def osmtpd_reply(reply):
    """OpenSMTPD mta_io(): first line whole, later lines appended without 'NNN-' and a d.d.d ESC."""
    lines = exim_multiline(reply).split("\\n")
    out = lines[0]
    for ln in lines[1:]:
        p = ln[4:]
        if re.match(r"\d\.\d\.\d\s", p):
            p = p[5:]
        out += p
    return out


def reply_gmail_lowrep(r, ip):
    return ("421-4.7.0 %s Our system has detected that this message is 421-4.7.0 suspicious due to the "
            "very low reputation of the sending IP address. 421-4.7.0 To protect our users from spam, mail "
            "sent from your IP address has 421-4.7.0 been temporarily rate limited. Please visit 421 4.7.0 "
            "https://support.google.com/mail/answer/188131 for more information. %s - gsmtp"
            % (gmail_pad(ip, 15), gsmtp_id(r)))


def reply_brbl_soft(ip):
    return "454 4.7.1 Service unavailable; Client host [%s] blocked using b.barracudacentral.org" % ip


RULES2 = [
    # 198.51.100.0/24: a sixth S3140 victim (new customer c1014, Exim)
    Rule("198.51.100.58", "s3140", {"olc"}, at(17, 13, 20), T_END, 1.0, "Outlook.com S3140 block"),
    # 203.0.113.0/24
    Rule("203.0.113.91", "4650", {"olc"}, at(18, 15, 0), at(21, 9, 0), 0.8, "Outlook.com 4.7.650 throttling"),
    Rule("203.0.113.140", "zen", {"biz"}, at(16, 6, 0), T_END, 1.0, "Spamhaus ZEN (non-Microsoft MX)"),
    Rule("203.0.113.140", "brbl", {"biz"}, at(16, 6, 0), T_END, 0.6, "Barracuda BRBL 454 soft reject"),
    # 192.0.2.0/24
    Rule("192.0.2.71", "gmaillow", {"gmail"}, at(20, 8, 30), T_END, 0.7, "Gmail 421-4.7.0 low IP reputation"),
    Rule("192.0.2.88", "tss04", {"yahoo"}, at(18, 10, 0), T_END, 0.85, "Yahoo TSS04 deferral"),
]
for _rule in RULES2:
    RULES_BY_IP[_rule.ip].append(_rule)

CUSTOMERS2 = [
    ("c1014", "Rowan & Pike Architects LLP", "rowanpike-arch.example"),
    ("c1015", "Tarn Valley Outdoor Centre", "tarnvalley-outdoor.example"),
    ("c1016", "Brackenbury Community Radio", "brackenbury-radio.example"),
    ("c1017", "Fenwick Auto Parts", "fenwick-autoparts.example"),
]
CUSTOMERS.extend(CUSTOMERS2)
CUST.update({c[0]: c for c in CUSTOMERS2})


class AltVPS(VPS):
    """A VPS whose MTA is not Postfix.  mta: exim | smtpd | sendmail."""

    def __init__(self, vid, cust, host, mta, inv, ip, variant="", tz=0, log="mail.log", files=None,
                 version="", out=8, mixw=None, campaigns=(), forced=(), bad=0.04, label="", story=""):
        VPS.__init__(self, vid, cust, host, "rfc3164", inv, [I(mta, ip)], tz=tz, log=log, version=version,
                     out=out, mixw=mixw, dovecot=False, opendkim=False, bad=bad, campaigns=campaigns,
                     forced=forced, hosting="gws", label=label)
        self.mta, self.variant, self.ip = mta, variant, ip
        self.files = files or [log + ".2.gz", log + ".1", log]
        self.story = story


FLEET2 = [
    AltVPS("vps-c1014-01", "c1014", "rp-web", "exim", ["198.51.100.58"], "198.51.100.58", variant="default",
           log="exim4/mainlog", version="4.96", out=9, mixw=mix(olc=24), bad=0.06,
           label="Exim 4.96 default log_selector; Outlook.com S3140 from 17 Nov"),
    AltVPS("vps-c1015-01", "c1015", "tvoc", "exim", ["203.0.113.91"], "203.0.113.91", variant="iface",
           tz=60, log="exim4/mainlog", version="4.98", out=7, mixw=mix(olc=20),
           campaigns=[(at(18, 16, 0), 30, 40, 0), (at(20, 9, 0), 26, 35, 0)],
           label="Exim 4.98 +incoming/outgoing_interface +millisec +pid, log_timezone; Outlook.com 4.7.650 18-21 Nov"),
    AltVPS("vps-c1005-02", "c1005", "lumen-legacy", "exim", ["192.0.2.71"], "192.0.2.71", variant="old",
           log="exim4/mainlog", version="4.84", out=8, mixw=mix(gmail=40), bad=0.06,
           label="Exim 4.84 (old 'host X [ip]:' failure layout); Gmail 421-4.7.0 from 20 Nov"),
    AltVPS("vps-c1016-01", "c1016", "radio", "smtpd", ["192.0.2.88"], "192.0.2.88", log="mail.log",
           version="6.8.0p2", out=8, mixw=mix(yahoo=18),
           campaigns=[(at(18, 10, 30), 24, 30, 0), (at(20, 17, 0), 24, 30, 0)],
           label="OpenSMTPD; Yahoo TSS04 TempFail from 18 Nov"),
    AltVPS("vps-c1003-03", "c1003", "bb-book", "smtpd", ["198.51.100.39"], "198.51.100.39", log="mail.log",
           version="6.8.0p2", out=7, bad=0.05, label="OpenSMTPD; clean (some 5.1.1)"),
    AltVPS("vps-c1017-01", "c1017", "shop", "sendmail", ["203.0.113.140"], "203.0.113.140", log="maillog",
           version="8.18.1", out=8, mixw=mix(biz=40),
           label="FreeBSD sendmail 8.18.1; Spamhaus ZEN 554 + Barracuda 454 from 16 Nov"),
]


ALT_MTA = {
    "vps-c1014-01": "Exim 4.96 (Debian 12), default log_selector, 16-char ids",
    "vps-c1015-01": "Exim 4.98 (Debian 13), log_selector = +incoming_interface +outgoing_interface +millisec +pid, log_timezone = true, 23-char ids",
    "vps-c1005-02": "Exim 4.84 (Debian 8), pre-4.85 failure layout, 16-char ids",
    "vps-c1016-01": "OpenSMTPD 6.8.0p2 (Debian 11)",
    "vps-c1003-03": "OpenSMTPD 6.8.0p2 (Debian 11)",
    "vps-c1017-01": "Sendmail 8.18.1 (FreeBSD 14; sm-mta + sendmail/sm-msp)",
}
ALT_TS = {
    "vps-c1014-01": "Exim local time, UTC box: `2026-11-17 10:00:05`",
    "vps-c1015-01": "`2026-11-17 10:00:05.123 +0100 [pid]` (local time +01:00)",
    "vps-c1005-02": "Exim local time, UTC box: `2026-11-17 10:00:05`",
    "vps-c1016-01": "RFC 3164, UTC",
    "vps-c1003-03": "RFC 3164, UTC",
    "vps-c1017-01": "RFC 3164, UTC",
}
ALT_NOTES = [
    "\nNotes on the non-Postfix logs:\n",
    "- Exim: `<=` arrivals (PHP `U=www-data P=local`, or `P=esmtpsa A=dovecot_plain:`), `=>` deliveries with "
    "`X=... CV=yes` (GnuTLS cipher names) and ` K` (CHUNKING) to Google/Microsoft, `Completed`, "
    "`== ... defer (-44|-45|-46) H=host [ip]: SMTP error ...`, `** ... H=host [ip] X=... CV=yes : SMTP error ...` "
    "(space-colon-space), multi-line replies joined with a literal backslash-n, a per-host `H=host [ip]: SMTP error` "
    "line when a 4xx to MAIL FROM makes Exim try the next MX address, `== ... defer (-53): retry time not reached for "
    "any host for 'domain'` from queue runs, `Start/End queue run` every 30 min, bounces `<= <> R=<orig-id> U=Debian-exim`, "
    "and inbound noise (relay not permitted, authenticator failed, connection lost).\n",
    "- vps-c1015-01 logs `I=[203.0.113.91]` on `=>`, `==` and `**` lines and `I=[ip]:587|:25` on inbound lines; "
    "its MAIL FROM errors say `after pipelined MAIL FROM:<...> SIZE=n` (SIZE = S= + 1024).\n",
    "- vps-c1005-02 (Exim 4.84) puts the host inside the message: `== x R=dnslookup T=remote_smtp defer (-44): SMTP error "
    "from remote mail server after RCPT TO:<x>: host mx [ip]: 451 ...`, `** x R=dnslookup T=remote_smtp: SMTP error ...: "
    "host mx [ip]: 550 ...`; no ` K`, no `for 'domain'` on (-53) lines.\n",
    "- OpenSMTPD: `smtp connected/message/envelope/disconnected` for submissions (local and authenticated), "
    "`mta connecting/connected/tls/delivery/disconnected` per outbound session; `relay=\"ip (ptr)\"` (the MX address "
    "and its reverse name, not the MX name; Microsoft MX addresses are given no PTR here, so `relay=\"ip\"`); "
    "result Ok/TempFail/PermFail; the stat of a multi-line reply is its last line.\n",
    "- Sendmail: PHP -> `sendmail[pid]` (sm-msp, `mailer=relay`) -> `sm-mta[pid]` on 127.0.0.1 -> `mailer=esmtp`. "
    "Failures carry the receiver's last reply line in `reply=` (8.16.1+) and sendmail's own text in `stat=` "
    "(`Service unavailable` for 554, `User unknown` for 550 at RCPT, `Deferred: <reply>` for 4xx); "
    "`relay=mx. [ip]` has the trailing dot; DSNs go to root (`DSN: ...`, `mailer=local`).\n",
]

class AltSim(Sim):
    """Shared machinery: one outbound message = arrival, attempts with retries, final state."""

    def __init__(self, world, v, stats):
        Sim.__init__(self, world, v, stats)
        self.lines = []           # (t, seq, text-without-timestamp-prefix, pid)
        self.lseq = 0
        self.pid = self.r.randint(2000, 90000)
        self.self_dest = Dest(v.domain, "gws", [("aspmx.l.google.com", ASPMX_V4[:2]),
                                                ("alt1.aspmx.l.google.com", ASPMX_V4[2:])], ok="google", tls="google")

    def put(self, t, text, pid=None, prog=None):
        if T0 <= t < T_END:
            self.lseq += 1
            self.lines.append((t, self.lseq, text, pid, prog))

    def newpid(self, step=(3, 400)):
        self.pid += self.r.randint(*step)
        if self.pid > 99000:
            self.pid = 1000 + self.r.randint(0, 500)
        return self.pid

    def attempt(self, dest, rcpts, t, variant, bads, attempt):
        """Decide one session's outcome -> (per-rcpt list [(rc, st, dsn, reply, cmd)], mxname, ip, extra)."""
        r = self.r
        st, dsn, reply, cmd, extra = self.outcome(self.v.ip, dest, rcpts[0], t, variant, None, attempt)
        res = []
        for rc in rcpts:
            if st == "sent" and bads.get(rc) == "unknown":
                st2, dsn2, reply2, cmd2, _ = self.outcome(self.v.ip, dest, rc, t, "", "unknown", attempt)
                res.append((rc, st2, dsn2, reply2, cmd2))
            else:
                res.append((rc, st, dsn, reply, cmd))
        return res, extra

    def outcome(self, src, dest, rcpt, t, variant, bad, attempt):
        if bad is None and variant == "":
            for rule in RULES_BY_IP.get(src, ()):
                if rule.kind in ("gmaillow", "brbl") and dest.cls in rule.classes and rule.start <= t < rule.end:
                    if rule.kind == "brbl" and dest.zen:
                        continue
                    if self.r.random() < rule.p:
                        self.stat(src, rule.label)
                        if rule.kind == "gmaillow":
                            return "deferred", "4.7.0", reply_gmail_lowrep(self.r, src), "end of DATA", None
                        return "deferred", "4.7.1", reply_brbl_soft(src), "RCPT TO", None
        return Sim.outcome(self, src, dest, rcpt, t, variant, bad, attempt)

    def pick_mx(self, dest):
        mx, ips = dest.mxs[0]
        return mx, self.r.choice(ips)

    def run(self):
        r, v = self.r, self.v
        ndays = (T_END - T0) / DAY
        senders = self.senders()
        for _ in range(int(v.out * ndays)):
            t = self.rand_time()
            sender, origin, _w = senders[int(wchoice(r, [(str(i), s[2]) for i, s in enumerate(senders)]))]
            n = 1 if r.random() < 0.82 else r.randint(2, 3)
            rcpts = sorted({self.pick_rcpt() for _ in range(n)})
            self.message(t, sender, rcpts, origin)
        for (tc, count, minutes, cm) in v.campaigns:
            cmix = dict(cm) if cm else dict(v.mix)
            for j in range(count):
                t = tc + j * (minutes * 60.0 / count) + r.uniform(0, 20)
                self.message(t, "newsletter@" + v.domain, [self.pick_rcpt(cmix)], "pickup")
        self.noise()


# ---- Exim ----------------------------------------------------------------------------------

EXIM_TLS = {  # Debian's exim4 is built with GnuTLS
    "new": {"google": "TLS1.3:ECDHE_X25519__ECDSA_SECP256R1_SHA256__AES_256_GCM:256",
            "ms": "TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256",
            "yahoo": "TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_128_GCM:128",
            "biz": "TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256"},
    "old": {"google": "TLS1.2:ECDHE_ECDSA_AES_128_GCM_SHA256:128",
            "ms": "TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256",
            "yahoo": "TLS1.2:ECDHE_RSA_AES_128_GCM_SHA256:128",
            "biz": "TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256"},
}
EXIM_RETRY = [900] * 8 + [3600, 5400, 8100, 12150, 18225, 27337] + [21600] * 20  # F,2h,15m; G,16h,1h,1.5; F,4d,6h


class EximSim(AltSim):
    def __init__(self, world, v, stats):
        AltSim.__init__(self, world, v, stats)
        self.new_ids = v.variant == "iface"
        self.qruns = []
        t = T0 + self.r.uniform(0.5, 3.0)
        while t < T_END:
            self.qruns.append(t)
            t += 1800.0
        self.qrun_pid = {}

    def tpid(self, t):
        return 1200 + (self.pid + int((t - T0) / 6.0) + self.r.randint(0, 5)) % 95000

    def qpid(self, q):
        if q not in self.qrun_pid:
            self.qrun_pid[q] = self.tpid(q)
        return self.qrun_pid[q]

    def mid(self, t, pid):
        us = int(round((t % 1) * 1e6)) % 1000000
        if self.new_ids:
            return "%s-%s-%s" % (b62(int(t), 6), b62(pid, 11), b62(us, 4))
        return "%s-%s-%s" % (b62(int(t), 6), b62(pid, 6), b62(us // 500, 2))

    def hostlog(self, mx, ip):
        s = "H=%s [%s]" % (mx, ip)
        if self.v.variant == "iface":
            s += " I=[%s]" % self.v.ip
        return s

    def tls(self, dest):
        return "X=%s CV=yes" % EXIM_TLS["old" if self.v.variant == "old" else "new"][dest.tls]

    def after(self, cmd, sender, rc, size):
        if cmd == "MAIL FROM":
            pre = "pipelined " if self.v.variant == "iface" else ""
            return "%sMAIL FROM:<%s> SIZE=%d" % (pre, sender, size + 1024)
        if cmd == "RCPT TO":
            return "RCPT TO:<%s>" % rc
        return "end of data"

    def errno(self, cmd):
        return {"MAIL FROM": -45, "RCPT TO": -44}.get(cmd, -46)

    def next_qrun(self, t):
        for q in self.qruns:
            if q >= t:
                return q
        return None

    def message(self, t, sender, rcpts, origin, src=None):
        r, v = self.r, self.v
        pid = self.tpid(t)
        size = int(r.lognormvariate(8.6, 0.9)) + 1400
        mid = self.mid(t, pid)
        msgid = "%s@%s" % (hexs(r, 32, False), v.domain) if origin == "pickup" else self.msgid(t, mid, sender)
        if origin == "pickup":
            self.put(t, "%s <= %s U=www-data P=local S=%d id=%s" % (mid, sender, size, msgid), pid)
        else:
            client = r.choice(CLIENTS[:6] + CLIENTS[7:9])
            helo = r.choice(["[192.168.1.%d]" % r.randint(20, 200), "DESKTOP-%s" % hexs(r, 7), "MacBookPro.fritz.box"])
            iface = " I=[%s]:587" % v.ip if v.variant == "iface" else ""
            x = "X=%s CV=no " % ("TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256" if v.variant == "old" else
                                 "TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256")
            self.put(t, "%s <= %s H=(%s) [%s]%s P=esmtpsa %sA=dovecot_plain:%s S=%d id=%s" % (
                mid, sender, helo, client, iface, x, sender, size, msgid), pid)
        bads = {rc: "unknown" for rc in rcpts if r.random() < v.bad}
        pending = list(rcpts)
        arrived = t
        tt = t + r.uniform(0.05, 0.4)
        dpid = pid + r.randint(1, 3)
        n_att = 0
        bounced = []
        while True:
            groups = collections.OrderedDict()
            for rc in pending:
                groups.setdefault(rc.split("@")[1], []).append(rc)
            still = []
            for dom, rs in groups.items():
                dest = self.w.dests[dom]
                tt, defer = self.session(mid, dest, rs, tt, sender, size, bads, n_att, dpid)
                for rc, st in defer.items():
                    if st == "deferred":
                        still.append(rc)
                    elif st == "bounced":
                        bounced.append(rc)
            pending = still
            if not pending:
                break
            # wait for the retry time; queue runs in between log (-53)
            nxt = tt + EXIM_RETRY[min(n_att, len(EXIM_RETRY) - 1)]
            q = self.next_qrun(tt + 1)
            while q is not None and q < nxt:
                qp = self.qpid(q)
                for rc in pending:
                    tq = q + r.uniform(0.05, 2.0)
                    sfx = "" if v.variant == "old" else " for '%s'" % rc.split("@")[1]
                    self.put(tq, "%s == %s R=dnslookup T=remote_smtp defer (-53): retry time not reached for any host%s"
                             % (mid, rc, sfx), qp + 1 + r.randint(0, 40))
                q = self.next_qrun(q + 1)
            if q is None:
                return
            n_att += 1
            qp = self.qpid(q)
            dpid = qp + 1 + r.randint(0, 40)
            tt = q + r.uniform(0.1, 3.0)
            if tt - arrived > 4 * DAY:
                for rc in pending:
                    self.put(tt, "%s ** %s: retry timeout exceeded" % (mid, rc), dpid)
                    bounced.append(rc)
                pending = []
                break
        if bounced:
            bt = tt + r.uniform(0.01, 0.05)
            bmid = self.mid(bt, dpid)
            bsize = size + r.randint(1500, 3000)
            self.put(bt, "%s <= <> R=%s U=Debian-exim P=local S=%d" % (bmid, mid, bsize), dpid)
            self.put(bt + 0.002, "%s Completed" % mid, dpid)
            bp = dpid + r.randint(1, 3)
            te, _ = self.session(bmid, self.self_dest, [sender], bt + r.uniform(0.05, 0.3), "", bsize, {}, 0, bp)
            self.put(te + 0.001, "%s Completed" % bmid, bp)
        else:
            self.put(tt + 0.001, "%s Completed" % mid, dpid)

    def session(self, mid, dest, rcpts, t, sender, size, bads, n_att, pid):
        r, v = self.r, self.v
        res, extra = self.attempt(dest, rcpts, t, "", bads, n_att)
        mx, ips = dest.mxs[0]
        ip = r.choice(ips)
        t += r.uniform(0.3, 1.5)
        out = {}
        st0, cmd0, reply0 = res[0][1], res[0][4], res[0][3]
        if extra == "nonfinal" and st0 == "deferred" and cmd0 == "MAIL FROM" and len(ips) > 1 and r.random() < 0.6:
            # Exim tries the next address of the MX; the per-host line has no I=
            self.put(t, "%s H=%s [%s]: SMTP error from remote mail server after %s: %s" % (
                mid, mx, ip, self.after(cmd0, sender, res[0][0], size), exim_multiline(reply0)), pid)
            self.stat(v.ip, "(per-host 'H=... SMTP error' line before the final one)")
            ip = r.choice([x for x in ips if x != ip])
            t += r.uniform(0.3, 1.0)
            if dest.cls == "olc":
                res = [(rc, st, dsn, reply_4650(r, v.ip, t), cmd) for (rc, st, dsn, reply, cmd) in res]
        k = " K" if dest.tls in ("google", "ms") and v.variant != "old" else ""
        for rc, st, dsn, reply, cmd in res:
            t += r.uniform(0.001, 0.02)
            if st == "sent":
                _, ok = self.ok_reply(dest, t, rc, size, "E%s@%s" % (mid, v.fqdn))
                self.put(t, '%s => %s R=dnslookup T=remote_smtp %s %s%s C="%s"' % (
                    mid, rc, self.hostlog(mx, ip), self.tls(dest), k, ok.replace('"', '\\"')), pid)
            elif v.variant == "old":
                flag, tail = ("==", " defer (%d)" % self.errno(cmd)) if st == "deferred" else ("**", "")
                self.put(t, "%s %s %s R=dnslookup T=remote_smtp%s: SMTP error from remote mail server after %s: host %s [%s]: %s" % (
                    mid, flag, rc, tail, self.after(cmd, sender, rc, size), mx, ip, exim_multiline(reply)), pid)
            elif st == "deferred":
                self.put(t, "%s == %s R=dnslookup T=remote_smtp defer (%d) %s: SMTP error from remote mail server after %s: %s" % (
                    mid, rc, self.errno(cmd), self.hostlog(mx, ip), self.after(cmd, sender, rc, size), exim_multiline(reply)), pid)
            else:
                self.put(t, "%s ** %s R=dnslookup T=remote_smtp %s %s : SMTP error from remote mail server after %s: %s" % (
                    mid, rc, self.hostlog(mx, ip), self.tls(dest), self.after(cmd, sender, rc, size), exim_multiline(reply)), pid)
            out[rc] = st
        return t, out

    def noise(self):
        r, v = self.r, self.v
        for q in self.qruns:
            qp = self.qpid(q)
            self.put(q, "Start queue run: pid=%d" % qp, qp)
            self.put(q + r.uniform(0.005, 0.05), "End queue run: pid=%d" % qp, qp)
        ndays = (T_END - T0) / DAY
        iface = " I=[%s]:25" % v.ip if v.variant == "iface" else ""
        iface587 = " I=[%s]:587" % v.ip if v.variant == "iface" else ""
        for _ in range(int(4 * ndays)):
            t = r.uniform(T0, T_END)
            ip = r.choice(SCANNERS)
            p = self.tpid(t)
            k = r.randint(0, 2)
            if k == 0:
                self.put(t, "H=(WIN-CLJ1B0GQ6JP) [%s]%s F=<spameri@tiscali.it> rejected RCPT <spameri@tiscali.it>: relay not permitted" % (ip, iface), p)
            elif k == 1:
                self.put(t, "dovecot_login authenticator failed for (User) [%s]%s: 535 Incorrect authentication data (set_id=%s@%s)" % (
                    ip, iface587, r.choice(["admin", "info", "test", "office"]), v.domain), p)
            else:
                self.put(t, "SMTP connection from [%s]%s lost" % (ip, iface), p)


def render_exim(v, lines):
    out = []
    lines.sort(key=lambda x: (x[0], x[1]))
    for t, _s, text, pid, _p in lines:
        lt = datetime.fromtimestamp(t, UTC) + timedelta(minutes=v.tz)
        ts = lt.strftime("%Y-%m-%d %H:%M:%S")
        if v.variant == "iface":
            ts += ".%03d +%02d%02d [%d]" % (lt.microsecond // 1000, v.tz // 60, v.tz % 60, pid)
        out.append((t, "%s %s" % (ts, text)))
    return out


# ---- OpenSMTPD -----------------------------------------------------------------------------

def mx_ptr(dest, ip):
    """Reverse DNS of an MX address as OpenSMTPD prints it (None: no PTR)."""
    if dest.tls == "google":
        return "%s-in-f%s.1e100.net" % ("wr wm wk wj wb".split()[int(ip.split(".")[2]) % 5], ip.split(".")[3])
    if dest.cls in ("olc", "o365"):
        return None
    if dest.cls == "yahoo":
        return dest.mxs[0][0]
    for mx, ips in dest.mxs:
        if ip in ips:
            return mx
    return dest.mxs[0][0]


class SmtpdSim(AltSim):
    def __init__(self, world, v, stats):
        AltSim.__init__(self, world, v, stats)
        self.uid = self.r.randint(0x10000000, 0x7fffffff)
        self.pid = self.r.randint(500, 3000)
        self.daemon_pid = self.pid

    def sid(self, t):
        hi = self.uid + int((t - T0) / 9.0) + self.r.randint(0, 2)
        return "%08x%08x" % (hi & 0xffffffff, self.r.getrandbits(32))

    def message(self, t, sender, rcpts, origin, src=None):
        r, v = self.r, self.v
        s = self.sid(t)
        size = int(r.lognormvariate(8.6, 0.9)) + 900
        msgid = r.getrandbits(32)
        if origin == "pickup":
            self.put(t, "%s smtp connected address=local host=%s" % (s, v.fqdn))
        else:
            client = r.choice(CLIENTS[:6] + CLIENTS[7:9])
            self.put(t - r.uniform(0.3, 0.9), "%s smtp connected address=%s host=<unknown>" % (s, client))
            self.put(t - r.uniform(0.1, 0.25), "%s smtp tls ciphers=TLSv1.3:TLS_AES_256_GCM_SHA384:256" % s)
            self.put(t - r.uniform(0.01, 0.09), "%s smtp authentication user=%s result=ok" % (s, sender.split("@")[0]))
        self.put(t, "%s smtp message msgid=%08x size=%d nrcpt=%d proto=ESMTP" % (s, msgid, size, len(rcpts)))
        evps = {}
        for rc in rcpts:
            evps[rc] = "%08x%08x" % (msgid, r.getrandbits(32))
            self.put(t + 0.0001, "%s smtp envelope evpid=%s from=<%s> to=<%s>" % (s, evps[rc], sender, rc))
        self.put(t + r.uniform(0.002, 0.02), "%s smtp disconnected reason=quit" % s)
        bads = {rc: "unknown" for rc in rcpts if r.random() < v.bad}
        pending = list(rcpts)
        tt = t + r.uniform(0.05, 0.5)
        n = 0
        delay_s = 900.0
        while pending:
            groups = collections.OrderedDict()
            for rc in pending:
                groups.setdefault(rc.split("@")[1], []).append(rc)
            still = []
            for dom, rs in groups.items():
                tt, res = self.session(self.w.dests[dom], rs, evps, tt, t, sender, bads, n)
                still += [rc for rc, st in res.items() if st == "deferred"]
            pending = still
            if not pending:
                return
            tt += delay_s * r.uniform(0.9, 1.1)
            delay_s = min(delay_s * 2, 4 * 3600)
            n += 1
            if tt >= T_END or tt - t > 4 * DAY:
                return

    def session(self, dest, rcpts, evps, t, created, sender, bads, n):
        r, v = self.r, self.v
        s = self.sid(t)
        mx, ip = self.pick_mx(dest)
        ptr = mx_ptr(dest, ip)
        self.put(t, "%s mta connecting address=smtp://%s:25 host=%s" % (s, ip, ptr or ip))
        t += r.uniform(0.02, 0.15)
        self.put(t, "%s mta connected" % s)
        t += r.uniform(0.05, 0.3)
        cip = {"google": "TLSv1.3:TLS_AES_256_GCM_SHA384:256", "ms": "TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256",
               "yahoo": "TLSv1.3:TLS_AES_128_GCM_SHA256:128", "biz": "TLSv1.3:TLS_AES_256_GCM_SHA384:256"}[dest.tls]
        self.put(t, "%s mta tls ciphers=%s" % (s, cip))
        res, extra = self.attempt(dest, rcpts, t, "", bads, n)
        out = {}
        relay = "%s (%s)" % (ip, ptr) if ptr else ip
        size = r.randint(2000, 40000)
        for rc, st, dsn, reply, cmd in res:
            t += r.uniform(0.2, 1.2)
            if st == "sent":
                _, reply = self.ok_reply(dest, t, rc, size, "%s@%s" % (hexs(r, 16, False), v.fqdn))
                result = "Ok"
            else:
                reply = osmtpd_reply(reply)
                result = "TempFail" if last_reply_line(reply)[0] == "4" else "PermFail"
            self.put(t, '%s mta delivery evpid=%s from=<%s> to=<%s> rcpt=<-> source="%s" relay="%s" delay=%s result="%s" stat="%s"' % (
                s, evps[rc], sender, rc, v.ip, relay, osmtpd_duration(t - created), result, reply))
            out[rc] = st
        t += r.uniform(0.05, 12.0)
        nok = sum(1 for x in out.values() if x == "sent")
        self.put(t, "%s mta disconnected reason=quit messages=%d" % (s, nok))
        return t, out

    def noise(self):
        r, v = self.r, self.v
        ndays = (T_END - T0) / DAY
        for _ in range(int(5 * ndays)):
            t = r.uniform(T0, T_END)
            s = self.sid(t)
            ip = r.choice(SCANNERS)
            self.put(t, "%s smtp connected address=%s host=<unknown>" % (s, ip))
            k = r.randint(0, 2)
            if k == 0:
                self.put(t + r.uniform(0.5, 2), "%s smtp failed-command command=\"RCPT TO:<spameri@tiscali.it>\" result=\"550 Invalid recipient: <spameri@tiscali.it>\"" % s)
                self.put(t + r.uniform(2, 3), "%s smtp disconnected reason=quit" % s)
            elif k == 1:
                self.put(t + r.uniform(1, 4), "%s smtp authentication user=%s result=permfail" % (s, r.choice(["admin", "info", "test"])))
                self.put(t + r.uniform(4, 6), "%s smtp disconnected reason=disconnect" % s)
            else:
                self.put(t + r.uniform(0.2, 9), "%s smtp disconnected reason=disconnect" % s)


def osmtpd_duration(x):
    t = int(x)
    if t == 0:
        return "0s"
    d, t = divmod(t, 86400)
    h, t = divmod(t, 3600)
    m, s = divmod(t, 60)
    return "".join("%d%s" % (n, u) for n, u in ((d, "d"), (h, "h"), (m, "m"), (s, "s")) if n)


def render_syslog(v, lines, prog_default):
    out = []
    lines.sort(key=lambda x: (x[0], x[1]))
    for t, _s, text, pid, prog in lines:
        lt = datetime.fromtimestamp(t, UTC) + timedelta(minutes=v.tz)
        ts = "%s %2d %s" % (MONTHS[lt.month - 1], lt.day, lt.strftime("%H:%M:%S"))
        out.append((t, "%s %s %s[%d]: %s" % (ts, v.host, prog or prog_default, pid if pid is not None else v.daemon_pid, text)))
    return out


# ---- Sendmail ------------------------------------------------------------------------------

def sm_qid(t, seq, pid):
    d = datetime.fromtimestamp(t, UTC)
    return "%s%s%s%s%s%s%s%06d" % (B62[(d.year - 1900) % 60], B62[d.month - 1], B62[d.day], B62[d.hour],
                                    B62[d.minute], B62[d.second], b62(seq % 3600, 2), pid)


def sm_interval(x):
    x = int(x)
    d, x = divmod(x, 86400)
    h, x = divmod(x, 3600)
    m, s = divmod(x, 60)
    return ("%d+" % d if d else "") + "%02d:%02d:%02d" % (h, m, s)


def sm_short(s, m=203):
    if len(s) < m:
        return s
    m = (m - 3) // 2
    return s[:m] + "..." + s[len(s) - m:]


class SendmailSim(AltSim):
    def __init__(self, world, v, stats):
        AltSim.__init__(self, world, v, stats)
        self.seq = self.r.randint(0, 3000)
        self.pid = self.r.randint(1000, 30000)

    def qid(self, t, pid):
        self.seq += 1
        return sm_qid(t, self.seq, pid)

    def message(self, t, sender, rcpts, origin, src=None):
        r, v = self.r, self.v
        host = v.host
        size = int(r.lognormvariate(8.6, 0.9)) + 700
        msgid = "<%s.%s@%s>" % (datetime.fromtimestamp(t, UTC).strftime("%Y%m%d%H%M%S"), hexs(r, 6, False), v.fqdn)
        # PHP mail() -> sendmail (sm-msp client) -> sm-mta on 127.0.0.1
        p1 = self.newpid((2, 60))
        q1 = self.qid(t, p1)
        self.put(t, "%s: from=www, size=%d, class=0, nrcpts=%d, msgid=%s, relay=www@localhost" % (q1, size, len(rcpts), msgid), p1, "sendmail")
        p2 = self.newpid((1, 3))
        t2 = t + r.uniform(0.01, 0.08)
        q2 = self.qid(t2, p2)
        size2 = size + r.randint(280, 340)
        self.put(t2, "%s: from=<www@%s>, size=%d, class=0, nrcpts=%d, msgid=%s, proto=ESMTP, daemon=IPv4, relay=localhost [127.0.0.1]" % (
            q2, v.fqdn, size2, len(rcpts), msgid), p2, "sm-mta")
        t3 = t2 + r.uniform(0.005, 0.03)
        self.put(t3, "%s: to=%s, ctladdr=www (80/80), delay=00:00:00, xdelay=00:00:00, mailer=relay, pri=%d, relay=[127.0.0.1] [127.0.0.1], dsn=2.0.0, stat=Sent (%s Message accepted for delivery)" % (
            q1, ",".join(rcpts), 30000 + size + 30000 * (len(rcpts) - 1), q2), p1, "sendmail")
        bads = {rc: "unknown" for rc in rcpts if r.random() < v.bad}
        pending = list(rcpts)
        tt = t3 + r.uniform(0.01, 0.1)
        dp = self.newpid((1, 3))
        n = 0
        pri = size2 + 30000 * len(rcpts) + 90000
        failed = []
        while pending:
            groups = collections.OrderedDict()
            for rc in pending:
                groups.setdefault(rc.split("@")[1], []).append(rc)
            still = []
            for dom, rs in groups.items():
                tt, res = self.session(q2, self.w.dests[dom], rs, tt, t2, pri, bads, n, dp)
                still += [rc for rc, st in res.items() if st == "deferred"]
                failed += [(rc, st) for rc, st in res.items() if st == "bounced"]
            pending = still
            if failed:
                # DSN to www (aliased to root on this box -> local mailbox)
                tb = tt + r.uniform(0.01, 0.05)
                qb = self.qid(tb, dp)
                self.put(tb, "%s: %s: DSN: %s" % (q2, qb, self.laststat), dp, "sm-mta")
                self.put(tb + r.uniform(0.01, 0.05), "%s: to=root, delay=00:00:00, xdelay=00:00:00, mailer=local, pri=%d, dsn=2.0.0, stat=Sent" % (
                    qb, 30000 + size2 + r.randint(1500, 2500)), dp, "sm-mta")
                failed = []
            if not pending:
                return
            # queue runner (sm-mta -q30m)
            tt += 1800 * (n + 1) * r.uniform(0.8, 1.2)
            n += 1
            pri += 90000
            dp = self.newpid()
            if tt >= T_END or tt - t > 5 * DAY:
                return

    def session(self, q, dest, rcpts, t, created, pri, bads, n, pid):
        r, v = self.r, self.v
        mx, ip = self.pick_mx(dest)
        t += r.uniform(0.1, 0.5)
        cip = {"google": "TLS_AES_256_GCM_SHA384, bits=256/256", "ms": "ECDHE-RSA-AES256-GCM-SHA384, bits=256/256",
               "yahoo": "TLS_AES_128_GCM_SHA256, bits=128/128", "biz": "TLS_AES_256_GCM_SHA384, bits=256/256"}[dest.tls]
        ver = "TLSv1.2" if dest.tls == "ms" else "TLSv1.3"
        self.put(t, "STARTTLS=client, relay=%s., version=%s, verify=FAIL, cipher=%s" % (mx, ver, cip), pid, "sm-mta")
        res, extra = self.attempt(dest, rcpts, t, "", bads, n)
        t += r.uniform(0.3, 1.5)
        out = {}
        base = "ctladdr=<www@%s> (80/80), delay=%s, xdelay=%s, mailer=esmtp, pri=%d, relay=%s. [%s]" % (
            v.fqdn, sm_interval(t - created), sm_interval(r.uniform(0.3, 2.0)), pri, mx, ip)
        for rc, st, dsn, reply, cmd in res:
            if st == "sent":
                _, ok = self.ok_reply(dest, t, rc, 5000, "%s@%s" % (q, v.fqdn))
                dsn = "2.0.0"
                m = re.match(r"\d{3} (\d\.\d+\.\d+ )?(.*)$", ok)
                line = "%s: to=<%s>, %s, dsn=%s, stat=Sent (%s)" % (q, rc, base, dsn, m.group(2))
                line = line[:line.index(", stat=") + 7] + sm_short(line[line.index(", stat=") + 7:])
            else:
                last = last_reply_line(reply)
                code = int(last[:3])
                if st == "deferred":
                    stat = "Deferred: " + last
                else:
                    stat = "User unknown" if code in (550, 551, 553) and cmd == "RCPT TO" else "Service unavailable"
                self.laststat = stat
                line = "%s: to=<%s>, %s, dsn=%s, reply=%s, stat=%s" % (q, rc, base, dsn, sm_short(last), sm_short(stat))
            self.put(t, line, pid, "sm-mta")
            out[rc] = st
        return t, out

    def noise(self):
        r, v = self.r, self.v
        ndays = (T_END - T0) / DAY
        for _ in range(int(4 * ndays)):
            t = r.uniform(T0, T_END)
            ip = r.choice(SCANNERS)
            p = self.newpid()
            q = self.qid(t, p)
            k = r.randint(0, 2)
            if k == 0:
                self.put(t, "%s: ruleset=check_rcpt, arg1=<spameri@tiscali.it>, relay=[%s], reject=550 5.7.1 <spameri@tiscali.it>... Relaying denied" % (q, ip), p, "sm-mta")
            elif k == 1:
                self.put(t, "%s: [%s] did not issue MAIL/EXPN/VRFY/ETRN during connection to IPv4" % (q, ip), p, "sm-mta")
            else:
                self.put(t, "%s: rejecting commands from  [%s] due to pre-greeting traffic after 0 seconds" % (q, ip), p, "sm-mta")


# --------------------------------------------------------------------------------------
# Microsoft SNDS exports (sample-data/snds/)
# --------------------------------------------------------------------------------------
# Own random streams (rng_for("snds", ...)); written after the logs, so every log,
# inventory.csv and the fleet part of README.md stay byte-identical.
# Times are Microsoft Pacific time, M/D/YYYY h:mm AM/PM.  Only IPs with >= 100 messages
# on a day get a row, so most small VPSes never appear.

SNDS_DAYS = (17, 18, 19, 20, 21)
SNDS_REASON = "Blocked due to user complaints or other evidence of spamming"
SNDS_CULPRIT = "198.51.100.90"        # vps-c1006-01: clean logs, RED in SNDS
SNDS_QUIET_BLOCKED = "203.0.113.101"  # vps-c1013-02: blocked, no Microsoft bounce in its logs
SNDS_UNKNOWN = "203.0.113.70"         # sends, not in inventory (stale inventory)
SNDS_UNALIGNED = ("203.0.113.67", "203.0.113.77")
SNDS_UNALIGNED_CIDRS = "203.0.113.67/32, 203.0.113.68/30, 203.0.113.72/30, 203.0.113.76/31"
SNDS_NOT_BLOCKED = ("192.0.2.40", "192.0.2.47")
SNDS_HEADER = ("IP Address,Activity Start,Activity End,RCPT Commands,DATA Commands,Message Recipients,"
               "Filter Result,Complaint Rate,Trap Message Start,Trap Message End,Trap Hits,Sample HELO,"
               "JMR P1 Sender,Comments")

# ip: (DATA commands lo, hi), days present (None = all), {day: filter}, {day: complaint}, {day: trap hits}
SNDS_PLAN = {
    "198.51.100.10": ((140, 420), None, {}, {}, {}),
    "198.51.100.23": ((300, 950), None, {18: "YELLOW", 20: "YELLOW"}, {}, {}),
    "198.51.100.37": ((110, 260), (17, 19, 20), {}, {}, {}),
    "198.51.100.71": ((220, 640), None, {19: "YELLOW"}, {}, {}),
    "198.51.100.134": ((100, 240), (18, 21), {}, {}, {}),
    "203.0.113.17": ((600, 1500), None, {}, {}, {}),  # Office 365 5.7.606 in the logs; SNDS is consumer only
    "203.0.113.40": ((2200, 5200), None, {18: "YELLOW", 19: "YELLOW", 20: "YELLOW"},
                     {18: "0.2%", 19: "0.3%"}, {19: 1}),
    "203.0.113.52": ((250, 600), None, {17: "YELLOW"}, {}, {}),
    SNDS_UNKNOWN: ((2500, 6000), None, {d: "YELLOW" for d in SNDS_DAYS},
                   {17: "0.8%", 18: "1.1%", 19: "0.9%", 20: "0.6%", 21: "1.0%"}, {18: 3}),
    "203.0.113.80": ((120, 300), (17, 19, 21), {}, {}, {}),
    "203.0.113.91": ((900, 2100), None, {18: "YELLOW", 19: "YELLOW", 20: "YELLOW", 21: "YELLOW"},
                     {19: "0.2%"}, {}),
    "192.0.2.33": ((110, 260), (17, 18, 20), {}, {}, {}),
    "192.0.2.47": ((1500, 4200), None, {19: "YELLOW", 20: "YELLOW", 21: "YELLOW"}, {20: "0.2%"}, {}),
    "192.0.2.88": ((130, 330), (18, 19, 21), {}, {}, {}),
    "192.0.2.101": ((300, 800), None, {}, {}, {}),
}
# The culprit: spam from a compromised WordPress that the sampled Postfix logs never show.
SNDS_CULPRIT_DAYS = {  # day: (filter, complaint rate, trap hits)
    17: ("RED", "4.7%", 23), 18: ("RED", "5.9%", 40), 19: ("YELLOW", "1.4%", 12),
    20: ("RED", "4.7%", 31), 21: ("RED", "3.8%", 17),
}
SNDS_CULPRIT_HELO = "ostara.ostara-yoga.example"
SNDS_CULPRIT_JMR = "wordpress@ostara-yoga.example"


def snds_file_name(day):
    return {19: "snds-data-2026-11-19.csv", 21: "export (3).csv"}.get(day, "snds-data-2026-11-%02d.csv" % day)


def snds_time(day, minutes):
    """Pacific-time M/D/YYYY h:mm AM/PM for 2026-11-<day> + minutes (may be negative)."""
    d = datetime(2026, 11, day) + timedelta(minutes=minutes)
    h = d.hour % 12 or 12
    return "%d/%d/%d %d:%02d %s" % (d.month, d.day, d.year, h, d.minute, "AM" if d.hour < 12 else "PM")


def ip_key(ip):
    return tuple(int(x) for x in ip.split("."))


def snds_rows(day):
    rows = []
    for ip in sorted(list(SNDS_PLAN) + [SNDS_CULPRIT], key=ip_key):
        r = rng_for("snds", ip, day)
        helo = jmr = ""
        if ip == SNDS_CULPRIT:
            filt, compl, traps = SNDS_CULPRIT_DAYS[day]
            data = r.randint(18000, 48000)
            helo, jmr = SNDS_CULPRIT_HELO, SNDS_CULPRIT_JMR
            start = -r.choice([3, 2]) * 60  # bursts start the evening before
        else:
            (lo, hi), days, filts, compls, trapd = SNDS_PLAN[ip]
            if days is not None and day not in days:
                continue
            filt, compl, traps = filts.get(day, "GREEN"), compls.get(day, "< 0.1%"), trapd.get(day, 0)
            data = r.randint(lo, hi)
            start = r.randint(0, 9) * 60 if r.random() < 0.8 else -r.randint(1, 6) * 60
        rcpt = data + r.randint(0, data // 40)
        recips = max(100, rcpt - r.randint(0, rcpt // 12))
        end = r.randint(15, 23) * 60  # activity end is always on the file's day
        t1 = t2 = hits = ""
        if traps:
            a = r.randint(max(start, 0) + 5, end - 120)
            b = a if traps == 1 else r.randint(a + 10, end - 1)
            t1, t2, hits = snds_time(day, a), snds_time(day, b), str(traps)
        rows.append([ip, snds_time(day, start), snds_time(day, end), str(rcpt), str(data), str(recips),
                     filt, compl, t1, t2, hits, helo, jmr, ""])
    return rows


def write_snds(out):
    d = os.path.join(out, "snds")
    os.makedirs(d)
    files = []
    for day in SNDS_DAYS:
        name = snds_file_name(day)
        lines = [",".join(row) for row in snds_rows(day)]
        if day == 19:  # web-UI export: header row, LF
            text = SNDS_HEADER + "\n" + "".join(l + "\n" for l in lines)
        else:          # automated feed: no header, CRLF
            text = "".join(l + "\r\n" for l in lines)
        files.append((name, len(lines), day))
        path = os.path.join(d, name)
        with open(path, "w", newline="") as f:
            f.write(text)
        mt = at(day + 1, 9)
        os.utime(path, (mt, mt))
    status = [
        (SNDS_NOT_BLOCKED[0], SNDS_NOT_BLOCKED[1], "No", "Not blocked"),
        ("198.51.100.0", "198.51.100.255", "Yes", SNDS_REASON),
        (SNDS_UNALIGNED[0], SNDS_UNALIGNED[1], "Yes", SNDS_REASON),
        (SNDS_QUIET_BLOCKED, SNDS_QUIET_BLOCKED, "Yes", SNDS_REASON),
    ]
    path = os.path.join(d, "snds-ipstatus.csv")
    with open(path, "w", newline="") as f:
        f.write("".join(",".join(s) + "\r\n" for s in status))
    mt = at(22, 9)
    os.utime(path, (mt, mt))
    return files, status


def make_snds_summary(files, status):
    L = ["\n## SNDS (Microsoft Smart Network Data Services) exports: snds/\n\n"]
    L.append("IP data (`data.aspx` shape, 14 positional columns, Pacific time, one row per IP per day, "
             "only IPs with >= 100 messages that day, so most small VPSes are absent):\n\n")
    for name, n, day in files:
        shape = ("header row (web-UI export), LF" if day == 19 else "no header, CRLF")
        how = ("no date in the name: the day (2026-11-21) comes from the activity-end column"
               if name == "export (3).csv" else "day from the file name")
        L.append("- `%s`: 2026-11-%02d, %d rows, %s; %s\n" % (name, day, n, shape, how))
    L.append("\nIP status (`ipStatus.aspx` shape, `first_ip,last_ip,blocked,reason`, no header, CRLF): "
             "`snds-ipstatus.csv`\n\n")
    for a, b, blk, reason in status:
        L.append("- `%s,%s,%s,%s`\n" % (a, b, blk, reason))
    L.append("\nStory:\n")
    L.append("- 198.51.100.0/24 (the Outlook.com S3140 neighbourhood) is blocked as one range.\n")
    L.append("- RED culprit: %s (vps-c1006-01, c1006): RED on 17, 18, 20, 21 Nov (YELLOW on 19), complaint "
             "rate 1.4-5.9%%, 12-40 trap hits a day, HELO %s, JMR P1 sender %s, 18-48k messages a day. Its "
             "logs are clean (no Microsoft bounce) - SNDS reveals the spammer the logs don't. The other "
             "/24 IPs in SNDS (.10 .23 .37 .71 .134) are GREEN/YELLOW with `< 0.1%%`.\n"
             % (SNDS_CULPRIT, SNDS_CULPRIT_HELO, SNDS_CULPRIT_JMR))
    L.append("- Blocked, not yet felt: %s (vps-c1013-02, c1013) is blocked as a single-IP row; its logs "
             "have no Outlook.com/Hotmail bounce (the address never occurs in its logs) and it is absent "
             "from the IP data (quiet VPS).\n" % SNDS_QUIET_BLOCKED)
    L.append("- Unaligned blocked range %s-%s = %s (neighbours 203.0.113.66 and 203.0.113.80, both in "
             "the inventory, are outside it).\n" % (SNDS_UNALIGNED[0], SNDS_UNALIGNED[1], SNDS_UNALIGNED_CIDRS))
    L.append("- Not in inventory: %s sends 2.5-6k a day (YELLOW, complaint 0.6-1.1%%, 3 trap hits on 18 Nov) "
             "and lies in the unaligned blocked range - stale inventory.\n" % SNDS_UNKNOWN)
    L.append("- `No` row: %s-%s (covers 192.0.2.47, whose 4.7.650 throttling is not a block).\n"
             % SNDS_NOT_BLOCKED)
    L.append("- 203.0.113.17 (Office 365 5.7.606) is GREEN in SNDS: SNDS does not cover Office 365.\n")
    return "".join(L)


# --------------------------------------------------------------------------------------

# The sample provider's identity for the delisting pack (scripts/run-sample.sh passes --config).
SAMPLE_CONFIG = """# The sample provider's identity for the delisting pack (scripts/run-sample.sh passes --config).
[provider]
name = "Example Hosting GmbH"
contact = "Jane Doe"
email = "abuse@hosting.example"
sender_domains = ["hosting.example"]
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="sample-data", help="output directory (default: sample-data)")
    args = ap.parse_args()
    out = args.out
    if os.path.exists(out):
        if not os.path.isfile(os.path.join(out, "inventory.csv")) and os.listdir(out):
            sys.exit("refusing to overwrite %s: it does not look like a sample-data directory" % out)
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "logs"))

    # inventory
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    wr.writerow(["customer_id", "customer_name", "vps_id", "ip"])
    for v in sorted(FLEET + FLEET2, key=lambda x: (x.cust, x.id)):
        for ip in v.inv:
            wr.writerow([v.cust, CUST[v.cust][1], v.id, ip])
    with open(os.path.join(out, "inventory.csv"), "w", newline="") as f:
        f.write(buf.getvalue())

    world = World()
    stats = collections.Counter()
    total_lines = 0
    total_bytes = 0
    per_vps = []
    for v in FLEET:
        sim = Sim(world, v, stats)
        sim.run()
        lines = render(v, sim.ev)
        w = write_logs(v, lines, os.path.join(out, "logs"))
        total_lines += len(lines)
        total_bytes += sum(x[2] for x in w)
        per_vps.append((v, len(lines)))
    for v in FLEET2:  # after the Postfix fleet; each has its own random stream
        sim = {"exim": EximSim, "smtpd": SmtpdSim, "sendmail": SendmailSim}[v.mta](world, v, stats)
        sim.run()
        if v.mta == "exim":
            lines = render_exim(v, sim.lines)
        else:
            v.daemon_pid = getattr(sim, "daemon_pid", 0)
            lines = render_syslog(v, sim.lines, "smtpd")
        w = write_logs(v, lines, os.path.join(out, "logs"))
        total_lines += len(lines)
        total_bytes += sum(x[2] for x in w)
        per_vps.append((v, len(lines)))

    snds_files, snds_status = write_snds(out)
    summary = make_summary(per_vps, stats, total_lines, total_bytes) + make_snds_summary(snds_files, snds_status)
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(summary)
    with open(os.path.join(out, "blockscope.toml"), "w") as f:
        f.write(SAMPLE_CONFIG)
    sys.stdout.write(summary)


def make_summary(per_vps, stats, total_lines, total_bytes):
    L = []
    L.append("# blockscope sample data (generated by scripts/gen-sample-data.py; do not edit)\n")
    L.append("Window 2026-11-15 00:00 .. 2026-11-21 23:59 UTC; %d VPSes, %d customers, %d lines, %d bytes on disk.\n"
             % (len(per_vps), len({v.cust for v, _ in per_vps}), total_lines, total_bytes))
    L.append("Rotation: *.2.gz = 15-16 Nov (multi-member gzip on %s), *.1 = 17-19 Nov, newest = 20-21 Nov.\n"
             % ", ".join(v.id for v, _ in per_vps if v.multigz))
    L.append("\n## Fleet\n\n")
    L.append("| vps | customer | inventory ip(s) | sends from | timestamps | file | syslog names | lines | story |\n")
    L.append("|---|---|---|---|---|---|---|---|---|\n")
    for v, n in per_vps:
        if isinstance(v, AltVPS):
            continue
        style = {"rfc3164": "RFC 3164", "postlog": "maillog_file (zero-padded)",
                 "rfc3339": "RFC 3339 +%02d:00" % (v.tz // 60)}[v.style]
        names = sorted({i.name for i in v.insts} | {v.inbound_inst.name})
        if v.campaign_daemon != "smtp":
            names.append("postfix/" + v.campaign_daemon.split("/")[0])
        L.append("| %s | %s | %s | %s | %s | %s | %s | %d | %s |\n" % (
            v.id, v.cust, " ".join(v.inv), " ".join(v.send_ips), style, v.log, " ".join(names), n, v.label))
    L.append("\n## Non-Postfix VPSes\n\n")
    L.append("| vps | customer | inventory ip = sends from | MTA | files | timestamps | lines | story |\n")
    L.append("|---|---|---|---|---|---|---|---|\n")
    for v, n in per_vps:
        if isinstance(v, AltVPS):
            L.append("| %s | %s | %s | %s | %s | %s | %d | %s |\n" % (
                v.id, v.cust, v.ip, ALT_MTA[v.id], ", ".join(v.files), ALT_TS[v.id], n, v.label))
    L.append("".join(ALT_NOTES))
    L.append("\n## Receiver replies generated (counted per delivery line; '-' = not an IP problem)\n\n")
    for (ip, label), n in sorted(stats.items()):
        if n:
            L.append("- %s: %s x%d\n" % (ip, label, n))
    L.append("\nNeighbourhood: 198.51.100.0/24 - Outlook.com S3140 on .10 (c1001), .23 (c1002), .37 (c1003), "
             ".45 (c1004), .58 (c1014, Exim), .71 (c1005); .11 .38 .39 .72 .90 .134 stay clean.\n")
    L.append("Sending IP in the log line itself: Exim I=[...] on vps-c1015-01 (its inventory IP), OpenSMTPD "
             "source=\"...\" on every mta delivery line; Postfix, the other Exims and Sendmail only via the "
             "receiver's reply text or the inventory.\n")
    L.append("Not in inventory: 192.0.2.102 (vps-c1013-01's second address).\n")
    L.append("Replies without an IP: 192.0.2.30 (vps-c1011-01, single IPv4 -> inventory fallback) and "
             "198.51.100.72 (vps-c1005-01, from syslog name postfix-198.51.100.72).\n")
    return "".join(L)


if __name__ == "__main__":
    main()
