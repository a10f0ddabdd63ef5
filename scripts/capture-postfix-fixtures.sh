#!/bin/bash
# capture-postfix-fixtures.sh - make the REAL Postfix binary write real log
# lines for receiver rejections/deferrals, for blockscope's test fixtures.
#
# What it does
#   * installs postfix, rsyslog and faketime from Debian if missing
#     (debconf preseed "Local only"; needs root and `apt-get update` to work);
#   * enters private network + UTS + mount namespaces (unshare -n -u -m):
#     only a loopback interface exists, so no packet can leave the machine;
#     hostname is "vps1"; /etc/postfix, /etc/hosts, /var/spool/postfix,
#     /var/lib/postfix, /var/mail and /var/log are bind-mounted from a
#     temporary directory, so the host's own Postfix config, queue and logs
#     are never touched and everything vanishes when the namespace exits;
#   * starts scripts/fake-mx.py: scripted SMTP receivers on 127.0.0.2-9:25
#     and [::1]:25 that answer with Microsoft/Gmail/Spamhaus/... replies;
#   * routes recipient domains with transport_maps to realistic MX names
#     (hotmail-com.olc.protection.outlook.com etc.) that the private
#     /etc/hosts maps to those loopback addresses (smtp_host_lookup=native,
#     no DNS at all);
#   * submits the same set of test messages (via sendmail/pickup as www-data
#     and via SMTP to smtpd on 127.0.0.1:25) in three phases, each with a
#     fresh queue, and copies the logs to tests/fixtures/postfix/:
#       1. syslog   -> rsyslog-traditional.log  (RSYSLOG_TraditionalFileFormat)
#                      rsyslog-rfc3339.log      (RSYSLOG_FileFormat, Debian 12 default)
#       2. maillog  -> maillog-file.log         (maillog_file=/var/log/postfix.log, postlogd)
#       3. multi    -> multi-instance.log       (syslog_name=postfix-out in main.cf and
#                      -o syslog_name=postfix-198.51.100.7 on the smtp transport used
#                      for Microsoft domains; traditional rsyslog format)
#   * each phase waits for the natural expiry of the deferred mail
#     (maximal_queue_lifetime=90s), force-expires one message with
#     `postsuper -e`, then stops Postfix, rsyslog and the fake MX.
#
# Clock: all processes run under libfaketime with a fixed offset so that the
# log clock starts at $FAKE_START (default: the 2nd of November, single-digit
# day, to show "Nov  2" vs "Nov 02" padding).  FAKE_START= (empty) disables it.
#
# Usage (as root, on a throw-away Debian 12 machine or container):
#   bash scripts/capture-postfix-fixtures.sh [phase ...]    # default: syslog maillog multi
#   OUT=/some/dir bash scripts/capture-postfix-fixtures.sh  # write elsewhere
#   KEEP_WORK=1 ...   # keep /tmp/blockscope-capture.* (SMTP transcript of the fake MX)
# Run time: about 2.5 minutes per phase; hard limit 15 minutes (timeout(1)).
# It leaves nothing running.  The only change outside the namespaces is the
# package installation and, if /dev/log did not exist, an empty placeholder
# file used as bind-mount point, removed again at the end.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
OUT=${OUT:-$REPO/tests/fixtures/postfix}
FAKE_START=${FAKE_START-2026-11-02 10:00:00}
PHASE_WAIT=${PHASE_WAIT:-150}          # max seconds to wait for the queue to drain per phase
FAKELIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1

log() { echo "capture: $*" >&2; }

# --------------------------------------------------------------------------
# Outer part: preflight, then re-exec inside the namespaces.
# --------------------------------------------------------------------------
if [ "${BLOCKSCOPE_CAPTURE_INNER:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
    need=()
    command -v postconf >/dev/null || need+=(postfix)
    command -v rsyslogd >/dev/null || need+=(rsyslog)
    [ -e "$FAKELIB" ] || need+=(faketime)
    command -v unshare >/dev/null || need+=(util-linux)
    if [ ${#need[@]} -gt 0 ]; then
        log "installing ${need[*]}"
        echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
        echo "postfix postfix/mailname string vps1.example.org" | debconf-set-selections
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2
    fi
    mkdir -p "$OUT"
    created_devlog=0
    if [ ! -e /dev/log ]; then : > /dev/log; created_devlog=1; fi
    WORK=$(mktemp -d /tmp/blockscope-capture.XXXXXX)
    rc=0
    BLOCKSCOPE_CAPTURE_INNER=1 WORK="$WORK" OUT="$OUT" FAKE_START="$FAKE_START" PHASE_WAIT="$PHASE_WAIT" \
        timeout -k 10 900 unshare -n -u -m --propagation private -- bash "$0" "$@" || rc=$?
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
# Inner part: runs in the private namespaces.
# --------------------------------------------------------------------------
ip link set lo up
hostname vps1
log "work dir $WORK"
FAKE_PID=""
RSYSLOG_PID=""

stop_all() {
    if [ -f /var/spool/postfix/pid/master.pid ] && postfix status >/dev/null 2>&1; then
        postfix stop >&2 || true
        for _ in $(seq 20); do postfix status >/dev/null 2>&1 || break; sleep 0.5; done
    fi
    sleep 1   # let the last log lines reach rsyslog/postlogd
    if [ -n "$RSYSLOG_PID" ]; then kill "$RSYSLOG_PID" 2>/dev/null || true; wait "$RSYSLOG_PID" 2>/dev/null || true; RSYSLOG_PID=""; fi
    if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=""; fi
}
trap stop_all EXIT

# Private copies of everything Postfix writes or reads.
cp -a /etc/postfix "$WORK/etc-postfix.orig"
cp -a /etc/postfix "$WORK/etc-postfix"
mount --bind "$WORK/etc-postfix" /etc/postfix
{
    cat /etc/hosts
    cat <<'EOF'
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
} > "$WORK/hosts"
mount --bind "$WORK/hosts" /etc/hosts
for d in lib-postfix mail log; do mkdir -p "$WORK/$d"; done
chown postfix:postfix "$WORK/lib-postfix"
chown root:mail "$WORK/mail"; chmod 2775 "$WORK/mail"
mount --bind "$WORK/lib-postfix" /var/lib/postfix
mount --bind "$WORK/mail" /var/mail
mount --bind "$WORK/log" /var/log
# Private syslog socket, bind-mounted over /dev/log (rsyslog listens on it).
: > "$WORK/dev-log-placeholder"

fake_env() {   # prints FAKETIME offset (seconds) for a phase start time, or nothing
    [ -n "$FAKE_START" ] || return 0
    local target now
    target=$(date -u -d "$1" +%s); now=$(date -u +%s)
    echo $((target - now))
}

base_postfix_config() {
    local ft=$1
    cp -a "$WORK/etc-postfix.orig/." /etc/postfix/
    postconf -e \
        "myhostname = vps1.example.org" \
        "mydomain = example.org" \
        "myorigin = \$myhostname" \
        "mydestination = vps1.example.org, vps1, localhost" \
        "inet_interfaces = 127.0.0.1" \
        "inet_protocols = all" \
        "smtp_host_lookup = native" \
        "smtp_dns_support_level = disabled" \
        "transport_maps = texthash:/etc/postfix/transport" \
        "default_transport = error:no route outside the fixture capture" \
        "relay_transport = error:no route outside the fixture capture" \
        "queue_run_delay = 20s" \
        "minimal_backoff_time = 20s" \
        "maximal_backoff_time = 40s" \
        "maximal_queue_lifetime = 90s" \
        "bounce_queue_lifetime = 90s" \
        "delay_warning_time = 0" \
        "syslog_name = postfix" \
        "maillog_file ="
    if [ -n "$ft" ]; then
        postconf -e "import_environment = $(postconf -dh import_environment) LD_PRELOAD=$FAKELIB FAKETIME=$ft"
    fi
    # No chroot: nothing to copy into /var/spool/postfix/etc.
    postconf -F '*/*/chroot = n'
    cat > /etc/postfix/transport <<'EOF'
hotmail.com   smtp:[hotmail-com.olc.protection.outlook.com]
live.com      smtp:[hotmail-com.olc.protection.outlook.com]
outlook.com   smtp:[outlook-com.olc.protection.outlook.com]
contoso.com   smtp:[contoso-com.mail.protection.outlook.com]
fabrikam.com  smtp:[fabrikam-com.mail.protection.outlook.com]
gmail.com     smtp:[gmail-smtp-in.l.google.com]
example.net   smtp:[mx.example.net]
example.com   smtp:[mx1.example.com]
t-online.de   smtp:[mx00.t-online.de]
EOF
}

fresh_spool() {
    local d="$WORK/spool-$1"
    mkdir -p "$d"
    mountpoint -q /var/spool/postfix && umount /var/spool/postfix
    mount --bind "$d" /var/spool/postfix
    postfix check >&2 || true
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

smtp_submit() {   # smtp_submit FROM RCPT[,RCPT...] SUBJECT   (via smtpd on 127.0.0.1:25)
    python3 - "$@" <<'EOF'
import smtplib, sys, time, email.utils
frm, rcpts, subj = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
msg = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n\r\n"
       "Test message for blockscope fixtures.\r\n" % (
           frm, ", ".join(rcpts), subj, email.utils.formatdate(),
           email.utils.make_msgid(domain="shop.example.org")))
with smtplib.SMTP("127.0.0.1", 25, local_hostname="localhost", timeout=30) as s:
    s.sendmail(frm, rcpts, msg)
EOF
}

sendmail_submit() {   # sendmail_submit RCPT[,RCPT...] SUBJECT   (as www-data via sendmail/pickup)
    local rcpts=$1 subj=$2
    printf 'From: WordPress <www-data@vps1.example.org>\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: <%s@vps1.example.org>\n\nTest message for blockscope fixtures.\n' \
        "$rcpts" "$subj" "$(date -R)" "$(date +%s%N)" |
        runuser -u www-data -- /usr/sbin/sendmail -i -t
}

queue_ids_for() {   # queue IDs whose recipients match $1
    postqueue -j | python3 -c '
import json, sys
pat = sys.argv[1]
for ln in sys.stdin:
    q = json.loads(ln)
    if any(pat in r["address"] for r in q["recipients"]):
        print(q["queue_id"])' "$1"
}

inject_all() {
    sendmail_submit "user1@hotmail.com" "Your order #1001"                 # 550 5.7.1 S3140 at MAIL FROM
    smtp_submit "www-data@vps1.example.org" \
        "banned@contoso.com,bannedsender@contoso.com,denied@contoso.com,busy@contoso.com,ok@contoso.com" \
        "Invoice 2026-118"                                                # 5.7.606 / 5.7.511 / 5.4.1 / 4.7.500 / 250
    sendmail_submit "someone@outlook.com" "Password reset"                 # 451 4.7.650 -> deferred -> expired
    sendmail_submit "blocked@gmail.com" "Newsletter November"              # multi-line 550-5.7.1 after DATA
    smtp_submit "www-data@vps1.example.org" "ratelimited@gmail.com" "Newsletter November"  # multi-line 421-4.7.28
    sendmail_submit "friend@gmail.com" "Hello"                             # 250 -> status=sent
    smtp_submit "www-data@vps1.example.org" \
        "nobody@example.net,full@example.net,alice@example.net" "Contact form"   # 5.1.1 / 5.2.2 / 250
    sendmail_submit "info@example.com" "Quote request"                     # 554 5.7.1 Spamhaus at RCPT
    sendmail_submit "kunde@t-online.de" "Ihre Bestellung"                  # 554 greeting
    sendmail_submit "sales@fabrikam.com" "Partnership"                     # non-final MX + deferred, then postsuper -e
}

run_phase() {   # run_phase NAME FAKE_START_FOR_PHASE
    local name=$1 start=$2 ft
    ft=$(fake_env "$start")
    log "=== phase $name (fake clock offset: ${ft:-none}) ==="
    if [ -n "$ft" ]; then export LD_PRELOAD=$FAKELIB FAKETIME=$ft; else unset LD_PRELOAD FAKETIME || true; fi
    base_postfix_config "$ft"
    fresh_spool "$name"
    rm -f /var/log/*.log
    case $name in
    syslog)
        start_rsyslog 'mail.* action(type="omfile" file="/var/log/mail.log" template="RSYSLOG_TraditionalFileFormat")
mail.* action(type="omfile" file="/var/log/mail-rfc3339.log" template="RSYSLOG_FileFormat")' ;;
    maillog)
        postconf -e "maillog_file = /var/log/postfix.log" ;;
    multi)
        start_rsyslog 'mail.* action(type="omfile" file="/var/log/mail.log" template="RSYSLOG_TraditionalFileFormat")'
        postconf -e "syslog_name = postfix-out"
        postconf -M "smtp-ip7/unix=smtp-ip7 unix - - n - - smtp -o syslog_name=postfix-198.51.100.7 -o smtp_helo_name=mail7.vps1.example.org"
        sed -i -E 's/^(hotmail|live|outlook|contoso|fabrikam)(\.com\s+)smtp:/\1\2smtp-ip7:/' /etc/postfix/transport ;;
    esac
    start_fake_mx
    postfix start >&2
    sleep 2
    inject_all
    # let the first delivery attempts happen, then force-expire the fabrikam message
    sleep 25
    for id in $(queue_ids_for fabrikam.com); do
        postsuper -e "$id" >&2
        postqueue -i "$id"
    done
    local t=0
    while [ $t -lt "$PHASE_WAIT" ] && [ -n "$(postqueue -j)" ]; do sleep 5; t=$((t + 5)); done
    sleep 3
    [ -z "$(postqueue -j)" ] || { log "queue not empty after ${PHASE_WAIT}s:"; postqueue -p >&2 || true; }
    stop_all
    mountpoint -q /dev/log && umount /dev/log || true
    case $name in
    syslog)
        cp /var/log/mail.log "$OUT/rsyslog-traditional.log"
        cp /var/log/mail-rfc3339.log "$OUT/rsyslog-rfc3339.log" ;;
    maillog)
        cp /var/log/postfix.log "$OUT/maillog-file.log" ;;
    multi)
        cp /var/log/mail.log "$OUT/multi-instance.log" ;;
    esac
    chmod 644 "$OUT"/*.log
    unset LD_PRELOAD FAKETIME || true
}

phases=("$@")
[ ${#phases[@]} -gt 0 ] || phases=(syslog maillog multi)
# Each phase gets its own hour of the fake clock: syslog 10:00, maillog 11:00, multi 12:00.
fake_day=$(date -u -d "${FAKE_START:-now}" +%Y-%m-%d)
for p in "${phases[@]}"; do
    case $p in
    syslog) hour=10 ;; maillog) hour=11 ;; multi) hour=12 ;;
    *) log "unknown phase $p (use: syslog maillog multi)"; exit 2 ;;
    esac
    run_phase "$p" "$fake_day $hour:00:00"
done
postconf mail_version >&2
