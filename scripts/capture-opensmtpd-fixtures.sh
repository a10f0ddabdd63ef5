#!/bin/bash
# capture-opensmtpd-fixtures.sh - make the REAL OpenSMTPD binary write real log
# lines for receiver rejections/deferrals, for blockscope's test fixtures.
#
# What it does
#   * installs opensmtpd (--no-install-recommends), rsyslog and faketime from
#     Debian if missing (NOTE: opensmtpd conflicts with every other MTA, so
#     installing it REMOVES postfix/exim4/sendmail; their capture scripts
#     reinstall their own MTA when run by themselves);
#   * enters private network + UTS + mount + PID namespaces (unshare -n -u
#     -m -p): only a loopback interface exists, so no packet can leave the
#     machine; hostname is "vps1"; /etc is overlaid with a tmpfs-backed
#     overlayfs (the private /etc/hosts, /etc/resolv.conf and /etc/mailname
#     never touch the host), /var/spool, /var/mail and /var/log are
#     bind-mounted from a temporary directory and /dev/shm is a private
#     tmpfs; everything vanishes, and every process left is killed, when the
#     namespace exits;
#   * starts scripts/fake-mx.py (unchanged, shared with the Postfix/Exim
#     captures): scripted SMTP receivers on 127.0.0.2-9:25 and [::1]:25
#     answering with Microsoft/Gmail/Spamhaus/... replies;
#   * runs `smtpd -F` (foreground, logging to syslog) with a private
#     smtpd.conf: one `relay host smtp+notls://<realistic MX name>` action per
#     recipient domain (hotmail-com.olc.protection.outlook.com, ...), the
#     names resolved through the private /etc/hosts; the Microsoft-hosted
#     contoso.com/outlook.com actions add `src 127.0.0.10` (a second sending
#     address, visible as source="127.0.0.10"); `queue ttl 100s`;
#   * submits the same test messages as the Postfix/Exim captures (sendmail
#     -t as www-data via smtpctl's offline queue, and SMTP to smtpd on
#     127.0.0.1:25), forces two extra retry rounds with `smtpctl schedule all`
#     (OpenSMTPD's own first retry is 400 s away), lets the rest expire, and
#     copies the rsyslog (RSYSLOG_TraditionalFileFormat) output to
#     tests/fixtures/opensmtpd/maillog.log;
#   * stops smtpd, rsyslog and the fake MX.
#
# Clock: LD_PRELOAD=libfaketime + FAKETIME (smtpd is started by root and
# re-executes its privsep children with the same environment) so the log
# clock starts at $FAKE_START (default 2026-11-02 10:00:00).  FAKE_START=
# (empty) disables it.
#
# Usage (as root, on a throw-away Debian 12 machine or container):
#   bash scripts/capture-opensmtpd-fixtures.sh
#   OUT=/some/dir bash scripts/capture-opensmtpd-fixtures.sh
#   KEEP_WORK=1 ...   # keep /tmp/blockscope-opensmtpd.* (fake-MX SMTP transcript)
# Run time: about 2.5 minutes; hard limit 10 minutes (timeout(1)).
# It leaves nothing running.  The only change outside the namespaces is the
# package installation and, if /dev/log did not exist, an empty placeholder
# file used as bind-mount point, removed again at the end.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
OUT=${OUT:-$REPO/tests/fixtures/opensmtpd}
FAKE_START=${FAKE_START-2026-11-02 10:00:00}
PHASE_WAIT=${PHASE_WAIT:-150}          # max seconds to wait for the queue to drain
FAKELIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1

log() { echo "capture-opensmtpd: $*" >&2; }

# --------------------------------------------------------------------------
# Outer part: preflight, then re-exec inside the namespaces.
# --------------------------------------------------------------------------
if [ "${BLOCKSCOPE_CAPTURE_INNER:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
    need=()
    command -v smtpd >/dev/null || need+=(opensmtpd)
    command -v rsyslogd >/dev/null || need+=(rsyslog)
    [ -e "$FAKELIB" ] || need+=(faketime)
    command -v unshare >/dev/null || need+=(util-linux)
    if [ ${#need[@]} -gt 0 ]; then
        log "installing ${need[*]}"
        echo "opensmtpd opensmtpd/mailname string vps1.example.org" | debconf-set-selections
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >&2
    fi
    mkdir -p "$OUT"
    created_devlog=0
    if [ ! -e /dev/log ]; then : > /dev/log; created_devlog=1; fi
    WORK=$(mktemp -d /tmp/blockscope-opensmtpd.XXXXXX)
    chmod 755 "$WORK"
    rc=0
    BLOCKSCOPE_CAPTURE_INNER=1 WORK="$WORK" OUT="$OUT" FAKE_START="$FAKE_START" PHASE_WAIT="$PHASE_WAIT" \
        timeout -k 10 600 unshare -n -u -m -p -f --kill-child --mount-proc --propagation private -- bash "$0" "$@" || rc=$?
    if [ $created_devlog = 1 ] && [ -f /dev/log ] && [ ! -s /dev/log ]; then rm -f /dev/log; fi
    if [ "${KEEP_WORK:-0}" = 1 ]; then
        log "kept work dir $WORK (fake-mx-transcript.txt has the SMTP dialogues)"
    else
        rm -rf "$WORK"
    fi
    [ $rc = 0 ] && log "done; fixtures in $OUT" || log "FAILED (rc=$rc)"
    exit $rc
fi

# --------------------------------------------------------------------------
# Inner part: runs in the private namespaces (we are PID 1 here).
# --------------------------------------------------------------------------
ip link set lo up
hostname vps1
# private /dev/shm: libfaketime leaves faketime_shm_<pid>/sem.faketime_sem_<pid>
# files there; keep them out of the host's /dev/shm (and away from stale ones)
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
log "work dir $WORK"
FAKE_PID=""
RSYSLOG_PID=""
SMTPD_PID=""

stop_all() {
    if [ -n "$SMTPD_PID" ]; then kill "$SMTPD_PID" 2>/dev/null || true; wait "$SMTPD_PID" 2>/dev/null || true; SMTPD_PID=""; fi
    sleep 1   # let the last log lines reach rsyslog
    if [ -n "$RSYSLOG_PID" ]; then kill "$RSYSLOG_PID" 2>/dev/null || true; wait "$RSYSLOG_PID" 2>/dev/null || true; RSYSLOG_PID=""; fi
    if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=""; fi
}
trap stop_all EXIT

# Private /etc: overlayfs whose upper layer lives on a private tmpfs.
mkdir -p "$WORK/ovl"
mount -t tmpfs -o mode=755 tmpfs "$WORK/ovl"
mkdir -p "$WORK/ovl/up" "$WORK/ovl/work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$WORK/ovl/up,workdir=$WORK/ovl/work" /etc
cat >> /etc/hosts <<'EOF'
# --- blockscope fixture capture: fake receivers on loopback ---
127.0.1.1   vps1.example.org vps1
127.0.0.2   hotmail-com.olc.protection.outlook.com
127.0.0.3   contoso-com.mail.protection.outlook.com
127.0.0.4   outlook-com.olc.protection.outlook.com
127.0.0.5   gmail-smtp-in.l.google.com
127.0.0.6   mx.example.net
127.0.0.7   mx1.example.com
127.0.0.8   mx00.t-online.de
127.0.0.9   fabrikam-com.mail.protection.outlook.com
::1         fabrikam-com.mail.protection.outlook.com
EOF
# no DNS at all: hosts file first ("lookup" is the OpenBSD resolv.conf keyword libasr honours)
printf 'lookup file\nnameserver 127.0.0.1\n' > /etc/resolv.conf
echo vps1.example.org > /etc/mailname
for d in mail log spool; do mkdir -p "$WORK/$d"; done
chown root:mail "$WORK/mail"; chmod 2775 "$WORK/mail"
mount --bind "$WORK/mail" /var/mail
mount --bind "$WORK/log" /var/log
mount --bind "$WORK/spool" /var/spool

write_smtpd_conf() {
    [ -e /etc/aliases ] || echo "postmaster: root" > /etc/aliases
    cat > "$WORK/smtpd.conf" <<'EOF'
# blockscope fixture capture - generated by scripts/capture-opensmtpd-fixtures.sh
queue ttl 100s
table aliases file:/etc/aliases
table ip10 { 127.0.0.10 }
listen on 127.0.0.1 hostname vps1.example.org

action "local"    mbox alias <aliases>
action "hotmail"  relay host smtp+notls://hotmail-com.olc.protection.outlook.com helo vps1.example.org
action "contoso"  relay host smtp+notls://contoso-com.mail.protection.outlook.com src <ip10> helo vps1.example.org
action "outlook"  relay host smtp+notls://outlook-com.olc.protection.outlook.com src <ip10> helo vps1.example.org
action "fabrikam" relay host smtp+notls://fabrikam-com.mail.protection.outlook.com helo vps1.example.org
action "gmail"    relay host smtp+notls://gmail-smtp-in.l.google.com helo vps1.example.org
action "examplenet" relay host smtp+notls://mx.example.net helo vps1.example.org
action "examplecom" relay host smtp+notls://mx1.example.com helo vps1.example.org
action "tonline"  relay host smtp+notls://mx00.t-online.de helo vps1.example.org

match from local for domain { vps1.example.org, vps1, localhost } action "local"
match from local for domain { hotmail.com, live.com } action "hotmail"
match from local for domain contoso.com  action "contoso"
match from local for domain outlook.com  action "outlook"
match from local for domain fabrikam.com action "fabrikam"
match from local for domain gmail.com    action "gmail"
match from local for domain example.net  action "examplenet"
match from local for domain example.com  action "examplecom"
match from local for domain t-online.de  action "tonline"
match from any for any reject
EOF
    chmod 644 "$WORK/smtpd.conf"
    smtpd -n -f "$WORK/smtpd.conf" >&2
}

start_rsyslog() {   # $1 = rsyslog action lines
    mkdir -p "$WORK/rsyslog-spool"
    rm -f "$WORK/log.sock"
    cat > "$WORK/rsyslog.conf" <<EOF
global(workDirectory="$WORK/rsyslog-spool")
module(load="imuxsock" SysSock.Name="$WORK/log.sock" SysSock.RateLimit.Interval="0" SysSock.UseSysTimeStamp="off")
$1
EOF
    rsyslogd -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslog.pid" &
    RSYSLOG_PID=$!
    for _ in $(seq 50); do [ -S "$WORK/log.sock" ] && break; sleep 0.1; done
    [ -S "$WORK/log.sock" ] || { log "rsyslog did not create its socket"; exit 1; }
    mountpoint -q /dev/log && umount /dev/log
    mount --bind "$WORK/log.sock" /dev/log
}

start_fake_mx() {
    python3 "$HERE/fake-mx.py" --timeout $((PHASE_WAIT + 120)) --transcript "$WORK/fake-mx-transcript.txt" &
    FAKE_PID=$!
    for _ in $(seq 50); do
        python3 - <<'EOF' 2>/dev/null && return 0
import socket
for a in ("127.0.0.2", "127.0.0.9"):
    socket.create_connection((a, 25), timeout=1).close()
EOF
        sleep 0.2
    done
    log "fake-mx did not come up"; exit 1
}

smtp_submit() {   # smtp_submit FROM RCPT[,RCPT...] SUBJECT   (via Exim's daemon on 127.0.0.1:25)
    python3 - "$@" <<'EOF'
import smtplib, sys, email.utils
frm, rcpts, subj = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
msg = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n\r\n"
       "Test message for blockscope fixtures.\r\n" % (
           frm, ", ".join(rcpts), subj, email.utils.formatdate(),
           email.utils.make_msgid(domain="shop.example.org")))
with smtplib.SMTP("127.0.0.1", 25, local_hostname="localhost", timeout=30) as s:
    s.sendmail(frm, rcpts, msg)
EOF
}

sendmail_submit() {   # sendmail_submit RCPT[,RCPT...] SUBJECT   (as www-data via smtpctl's sendmail)
    local rcpts=$1 subj=$2
    printf 'From: WordPress <www-data@vps1.example.org>\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: <%s@vps1.example.org>\n\nTest message for blockscope fixtures.\n' \
        "$rcpts" "$subj" "$(date -R)" "$(date +%s%N)" |
        runuser -u www-data -- /usr/sbin/sendmail -i -t
}

queue_count() { smtpctl show queue 2>/dev/null | grep -c . || true; }

inject_all() {
    sendmail_submit "user1@hotmail.com" "Your order #1001"                 # 550 5.7.1 S3140 at MAIL FROM
    smtp_submit "www-data@vps1.example.org" \
        "banned@contoso.com,bannedsender@contoso.com,denied@contoso.com,busy@contoso.com,ok@contoso.com" \
        "Invoice 2026-118"                                                # 5.7.606 / 5.7.511 / 5.4.1 / 4.7.500 / 250
    sendmail_submit "someone@outlook.com" "Password reset"                 # 451 4.7.650 -> TempFail -> expired
    sendmail_submit "friend@gmail.com" "Hello"                             # 250 (before the 421 below)
    sendmail_submit "blocked@gmail.com" "Newsletter November"              # multi-line 550-5.7.1 after DATA
    smtp_submit "www-data@vps1.example.org" "ratelimited@gmail.com" "Newsletter November"  # multi-line 421-4.7.28
    sendmail_submit "bob@gmail.com" "Hello again"                          # 250, but queued behind the 421 on
                                                                           # the same session: "Connection closed unexpectedly"
    smtp_submit "www-data@vps1.example.org" \
        "nobody@example.net,full@example.net,alice@example.net" "Contact form"   # 5.1.1 / 5.2.2 / 250
    sendmail_submit "info@example.com" "Quote request"                     # 554 5.7.1 Spamhaus at RCPT
    sendmail_submit "kunde@t-online.de" "Ihre Bestellung"                  # 554 greeting
    sendmail_submit "sales@fabrikam.com" "Partnership"                     # 2 addresses (::1 and 127.0.0.9), TempFail
}

ft=""
if [ -n "$FAKE_START" ]; then
    ft=$(printf '%+d' $(( $(date -u -d "$FAKE_START" +%s) - $(date -u +%s) )))
    export LD_PRELOAD=$FAKELIB FAKETIME=$ft
fi
log "fake clock offset: ${ft:-none}"
write_smtpd_conf
start_rsyslog 'mail.* action(type="omfile" file="/var/log/mail.log" template="RSYSLOG_TraditionalFileFormat")'
start_fake_mx
smtpd -F -f "$WORK/smtpd.conf" &
SMTPD_PID=$!
for _ in $(seq 50); do
    # readiness probe: a clean EHLO/QUIT (logged as an smtp connected/disconnected pair)
    python3 -c 'import smtplib; s = smtplib.SMTP("127.0.0.1", 25, local_hostname="localhost", timeout=2); s.ehlo(); s.quit()' 2>/dev/null && break
    sleep 0.2
done
sleep 1
inject_all
# OpenSMTPD's own first retry would come after 400 s (> queue ttl): force two retry rounds
for round in 1 2; do
    sleep 30
    log "smtpctl schedule all (round $round)"
    smtpctl schedule all >&2 || true
done
t=0
while [ $t -lt "$PHASE_WAIT" ] && [ "$(queue_count)" != 0 ]; do sleep 5; t=$((t + 5)); done
sleep 3
[ "$(queue_count)" = 0 ] || { log "queue not empty after ${PHASE_WAIT}s:"; smtpctl show queue >&2 || true; }
stop_all
mountpoint -q /dev/log && umount /dev/log || true
cp /var/log/mail.log "$OUT/maillog.log"
chmod 644 "$OUT"/*.log
smtpd -h 2>&1 | head -1 >&2 || true
