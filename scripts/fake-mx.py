#!/usr/bin/env python3
"""fake-mx.py - scripted fake SMTP receivers on loopback, for blockscope fixtures.

Used by scripts/capture-postfix-fixtures.sh to make a real Postfix produce
real log lines for receiver rejections (Microsoft/Outlook, Gmail, Spamhaus
style, mailbox errors, greeting refusal, ...).  Stdlib only.

Every listener binds to a loopback address only (127.0.0.0/8 or ::1); the
script refuses anything else.  It exits by itself after --timeout seconds.

Behaviour is chosen per listening address (greeting / MAIL FROM replies) and
per recipient local part (RCPT TO / end-of-DATA replies); see HOSTS below.
The IP addresses quoted inside the replies (198.51.100.7, 203.0.113.25, ...)
are documentation addresses standing for the sending VPS's public IP; no
traffic goes to them.

Usage: fake-mx.py [--port 25] [--timeout 600] [--transcript FILE]
"""

import argparse
import ipaddress
import socket
import socketserver
import sys
import threading
import time

# ---------------------------------------------------------------------------
# Scripted replies (exact texts requested for the fixtures).
# ---------------------------------------------------------------------------
MS_S3140 = ("550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. "
            "Please contact your Internet service provider since part of their network "
            "is on our block list (S3140). You can also refer your provider to "
            "http://mail.live.com/mail/troubleshooting.aspx#errors. "
            "[Name=Protocol Filter Agent][AGT=PFA][MxId=11BC54339C3FD8FF] "
            "[BN3PEPF0000B077.namprd04.prod.outlook.com 2025-11-25T08:06:40.951Z 08DE2A19D02BF789]")
MS_5_7_606 = ("550 5.7.606 Access denied, banned sending IP [203.0.113.25]. To request "
              "removal from this list please visit https://sender.office.com/ and follow "
              "the directions. For more information please go to "
              "http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430)")
MS_5_7_511 = ("550 5.7.511 Access denied, banned sender[203.0.113.40]. To request removal "
              "from this list please forward this message to delist@messaging.microsoft.com. "
              "For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653. "
              "AS(508) [SN1NAM04FT013.eop-NAM04.prod.protection.outlook.com]")
MS_4_7_650 = ("451 4.7.650 The mail server [198.51.100.9] has been temporarily rate limited "
              "due to IP reputation. For e-mail delivery information, see "
              "https://aka.ms/postmaster (S775) [Name=Protocol Filter Agent][AGT=PFA]"
              "[MxId=11BCD825A78A8D0B] [AMS0EPF000001A7.eurprd05.prod.outlook.com "
              "2026-02-25T11:12:39.245Z 08DE6C12E206EF5D]")
MS_4_7_500 = ("451 4.7.500 Server busy. Please try again later from [192.0.2.14]. (S77714) "
              "[DB1PEPF000509EF.eurprd03.prod.outlook.com 2025-09-06T02:41:15.886Z "
              "08DDE524AD2CBD69]")
MS_5_4_1 = ("550 5.4.1 Recipient address rejected: Access denied. For more information "
            "see https://aka.ms/EXOSmtpErrors [AM4PEPF00027A5F.eurprd04.prod.outlook.com "
            "2026-11-02T10:00:01.000Z 08DE1A2B3C4D5E6F]")
SPAMHAUS = ("554 5.7.1 Service unavailable; Client host [192.0.2.33] blocked using "
            "zen.spamhaus.org; https://www.spamhaus.org/sbl/query/SBL468702")
USER_UNKNOWN = ("550 5.1.1 <nobody@example.net>: Recipient address rejected: "
                "User unknown in virtual mailbox table")
MAILBOX_FULL = "552 5.2.2 Mailbox full"
GREETING_554 = ("554 5.7.1 mx00.t-online.de IP=198.51.100.7 - A problem occurred. "
                "(Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (BL)")
# Multi-line replies, sent as separate "CODE-" continuation lines.
GMAIL_550_DATA = [
    "550-5.7.1 [198.51.100.7      12] Our system has detected that this message is",
    "550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,",
    "550-5.7.1 this message has been blocked. For more information, go to",
    "550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError "
    "d2e1a72fcca58-7a2b3c4d5e6si1234567b3a.123 - gsmtp",
]
GMAIL_421_DATA = [
    "421-4.7.28 [198.51.100.7      15] Our system has detected an unusual rate of",
    "421-4.7.28 unsolicited mail originating from your IP address. To protect our",
    "421-4.7.28 users from spam, mail sent from your IP address has been temporarily",
    "421-4.7.28 rate limited. For more information, go to",
    "421-4.7.28  https://support.google.com/mail/?p=UnsolicitedRateLimitError to",
    "421 4.7.28 review our Bulk Email Senders Guidelines. "
    "5b1f17b1804b1-47d1234567asi12345675e9.12 - gsmtp",
]

MS_EHLO = ["{ehlo_name} Hello [198.51.100.7]", "SIZE 157286400", "PIPELINING",
           "DSN", "ENHANCEDSTATUSCODES", "8BITMIME", "BINARYMIME", "CHUNKING", "SMTPUTF8"]
GMAIL_EHLO = ["mx.google.com at your service, [198.51.100.7]", "SIZE 157286400",
              "8BITMIME", "ENHANCEDSTATUSCODES", "PIPELINING", "CHUNKING", "SMTPUTF8"]
PLAIN_EHLO = ["{ehlo_name}", "PIPELINING", "SIZE 52428800", "ETRN",
              "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"]

MS_GREETING = ("220 {ehlo_name} Microsoft ESMTP MAIL Service ready at {date} "
               "08DE1A2B3C4D5E6F")

# listen address -> behaviour.  Keys of "rcpt"/"data": recipient local part
# (lower case); "*" = default.  None = accept.
HOSTS = {
    "127.0.0.2": dict(
        name="hotmail-com.olc.protection.outlook.com",
        ehlo_name="BN3PEPF0000B077.namprd04.prod.outlook.com",
        greeting=MS_GREETING, ehlo=MS_EHLO, mail=MS_S3140, style="ms"),
    "127.0.0.3": dict(
        name="contoso-com.mail.protection.outlook.com",
        ehlo_name="SN1NAM04FT013.mail.protection.outlook.com",
        greeting=MS_GREETING, ehlo=MS_EHLO, style="ms",
        rcpt={"banned": MS_5_7_606, "bannedsender": MS_5_7_511,
              "denied": MS_5_4_1, "busy": MS_4_7_500}),
    "127.0.0.4": dict(
        name="outlook-com.olc.protection.outlook.com",
        ehlo_name="AMS0EPF000001A7.eurprd05.prod.outlook.com",
        greeting=MS_GREETING, ehlo=MS_EHLO, mail=MS_4_7_650, style="ms"),
    "127.0.0.5": dict(
        name="gmail-smtp-in.l.google.com",
        ehlo_name="mx.google.com",
        greeting="220 mx.google.com ESMTP 5b1f17b1804b1-47d12345678si1234567f8.99 - gsmtp",
        ehlo=GMAIL_EHLO, style="gmail",
        data={"blocked": GMAIL_550_DATA, "ratelimited": GMAIL_421_DATA}),
    "127.0.0.6": dict(
        name="mx.example.net", ehlo_name="mx.example.net",
        greeting="220 mx.example.net ESMTP Postfix", ehlo=PLAIN_EHLO, style="postfix",
        rcpt={"nobody": USER_UNKNOWN, "full": MAILBOX_FULL}),
    "127.0.0.7": dict(
        name="mx1.example.com", ehlo_name="mx1.example.com",
        greeting="220 mx1.example.com ESMTP Postfix", ehlo=PLAIN_EHLO, style="postfix",
        rcpt={"*": SPAMHAUS}),
    "127.0.0.8": dict(
        name="mx00.t-online.de", ehlo_name="mx00.t-online.de",
        greeting=GREETING_554, ehlo=PLAIN_EHLO, style="postfix"),
    # fabrikam-com.mail.protection.outlook.com resolves to BOTH 127.0.0.9 and
    # ::1 (two A/AAAA records of one MX host), so Postfix tries one, logs the
    # non-final "host ... said:" line, then tries the other.
    "127.0.0.9": dict(
        name="fabrikam-com.mail.protection.outlook.com",
        ehlo_name="DB1PEPF000509EF.eurprd03.prod.outlook.com",
        greeting=MS_GREETING, ehlo=MS_EHLO, style="ms",
        rcpt={"*": MS_4_7_500}),
    "::1": dict(
        name="fabrikam-com.mail.protection.outlook.com",
        ehlo_name="AMS0EPF000001A7.eurprd05.prod.outlook.com",
        greeting=MS_GREETING, ehlo=MS_EHLO, mail=MS_4_7_650, style="ms"),
}

TRANSCRIPT = None
TLOCK = threading.Lock()


def tlog(addr, direction, line):
    if TRANSCRIPT is None:
        return
    with TLOCK:
        TRANSCRIPT.write("%s %s %s %s\n" % (time.strftime("%H:%M:%S"), addr, direction, line))
        TRANSCRIPT.flush()


def rfc2822_now():
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())


class Handler(socketserver.StreamRequestHandler):
    timeout = 60

    def send(self, lines):
        if isinstance(lines, str):
            lines = [lines]
        for ln in lines:
            tlog(self.laddr, "S:", ln)
            self.wfile.write(ln.encode() + b"\r\n")
        self.wfile.flush()

    def readline(self):
        raw = self.rfile.readline(65536)
        if not raw:
            return None
        ln = raw.decode("utf-8", "replace").rstrip("\r\n")
        return ln

    def multi(self, code, items):
        out = []
        for i, it in enumerate(items):
            sep = " " if i == len(items) - 1 else "-"
            out.append("%s%s%s" % (code, sep, it))
        return out

    def accept_data_reply(self, h):
        st = h.get("style")
        if st == "ms":
            return ("250 2.6.0 <%s> [InternalId=1234567890123, Hostname=%s] "
                    "12345 bytes in 0.045, 265.123 KB/sec Queued mail for delivery"
                    % (self.msgid or "none@localhost", h["ehlo_name"]))
        if st == "gmail":
            return "250 2.0.0 OK  %d d2e1a72fcca58-7a2b3c4d5e6si1234567b3a.124 - gsmtp" % int(time.time())
        return "250 2.0.0 Ok: queued as 4dWq7Y0xKz2bXy"

    def handle(self):
        self.laddr = self.server.server_address[0]
        h = HOSTS[self.laddr]
        fmt = dict(ehlo_name=h["ehlo_name"], date=rfc2822_now())
        greeting = h["greeting"].format(**fmt)
        tlog(self.laddr, "--", "connect from %s" % (self.client_address[0],))
        self.send(greeting)
        refused = greeting.startswith("5") or greeting.startswith("4")
        have_mail = False
        rcpts = []          # accepted local parts
        self.msgid = None
        while True:
            ln = self.readline()
            if ln is None:
                break
            tlog(self.laddr, "C:", ln)
            cmd = ln.split(" ", 1)[0].split(":", 1)[0].upper()
            if cmd == "QUIT":
                self.send("221 2.0.0 Service closing transmission channel")
                break
            if refused:
                self.send("503 5.5.1 Error: command not accepted after greeting refusal")
                continue
            if cmd == "EHLO":
                items = [x.format(**fmt) for x in h["ehlo"]]
                self.send(self.multi("250", items))
            elif cmd == "HELO":
                self.send("250 %s" % h["ehlo_name"])
            elif cmd == "MAIL":
                if h.get("mail"):
                    self.send(h["mail"])
                else:
                    have_mail = True
                    rcpts = []
                    self.send("250 2.1.0 Sender OK")
            elif cmd == "RCPT":
                if not have_mail:
                    self.send("503 5.5.1 Error: need MAIL command")
                    continue
                addr = ln.split(":", 1)[1].strip().split(">", 1)[0].lstrip("<")
                local = addr.split("@", 1)[0].lower()
                table = h.get("rcpt", {})
                reply = table.get(local, table.get("*"))
                if reply:
                    self.send(reply)
                else:
                    rcpts.append(local)
                    self.send("250 2.1.5 Recipient OK")
            elif cmd == "DATA":
                if not rcpts:
                    self.send("554 5.5.1 Error: no valid recipients")
                    continue
                self.send("354 Start mail input; end with <CRLF>.<CRLF>")
                while True:
                    d = self.readline()
                    if d is None:
                        return
                    if d == ".":
                        break
                    if d.lower().startswith("message-id:"):
                        self.msgid = d.split(":", 1)[1].strip().strip("<>")
                tlog(self.laddr, "C:", "<message data for %s>" % ",".join(rcpts))
                dt = h.get("data", {})
                reply = None
                for r in rcpts:
                    if r in dt:
                        reply = dt[r]
                        break
                if reply:
                    self.send(reply)
                    if reply[0].startswith("421"):
                        break    # 421 = closing connection
                else:
                    self.send(self.accept_data_reply(h))
                have_mail = False
                rcpts = []
            elif cmd == "RSET":
                have_mail = False
                rcpts = []
                self.send("250 2.0.0 Resetting")
            elif cmd == "NOOP":
                self.send("250 2.0.0 OK")
            else:
                self.send("502 5.5.2 Error: command not recognized")
        tlog(self.laddr, "--", "disconnect")


class Server4(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class Server6(Server4):
    address_family = socket.AF_INET6


def main():
    global TRANSCRIPT
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="exit after this many seconds (default 600)")
    ap.add_argument("--transcript", help="append an SMTP transcript to this file")
    ap.add_argument("--no-ipv6", action="store_true", help="skip the ::1 listener")
    a = ap.parse_args()
    if a.transcript:
        TRANSCRIPT = open(a.transcript, "a")
    servers = []
    for addr in HOSTS:
        ip = ipaddress.ip_address(addr)
        if not ip.is_loopback:
            sys.exit("refusing to listen on non-loopback address %s" % addr)
        if ip.version == 6 and a.no_ipv6:
            continue
        cls = Server6 if ip.version == 6 else Server4
        srv = cls((addr, a.port), Handler)
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        print("fake-mx: %s listening on [%s]:%d" % (HOSTS[addr]["name"], addr, a.port),
              file=sys.stderr, flush=True)
    deadline = time.time() + a.timeout
    try:
        while time.time() < deadline:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    for s in servers:
        s.shutdown()
        s.server_close()
    print("fake-mx: stopped", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
