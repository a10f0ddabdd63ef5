#!/bin/bash
# capture-sendmail-fixtures.sh - make the REAL Sendmail binary write real log
# lines for receiver rejections/deferrals, for blockscope's test fixtures.
#
# What it does
#   * installs sendmail-bin (--no-install-recommends; it pulls sendmail-base
#     and sendmail-cf, whose postinst builds /etc/mail once), rsyslog and
#     faketime from Debian if missing (NOTE: sendmail conflicts with every
#     other MTA, so installing it REMOVES postfix/exim4/opensmtpd; their
#     capture scripts reinstall their own MTA when run by themselves);
#   * enters private network + UTS + mount + PID namespaces (unshare -n -u -m
#     -p): only a loopback interface exists, so no packet can leave the
#     machine; hostname is "vps1"; /etc is overlaid with a tmpfs-backed
#     overlayfs (the private /etc/hosts, /etc/mail/*, /etc/ld.so.preload and
#     /etc/faketimerc never touch the host); /var/spool, /var/lib/sendmail,
#     /run/sendmail, /var/mail and /var/log are private directories; every
#     process still running when the namespace exits is killed;
#   * starts scripts/fake-mx.py (unchanged, shared with the Postfix capture):
#     scripted SMTP receivers on 127.0.0.2-9:25 answering with
#     Microsoft/Gmail/Spamhaus/... replies;
#   * builds a private sendmail.cf from a Debian-style sendmail.mc
#     (OSTYPE debian, DOMAIN debian-mta) plus FEATURE(mailertable) with
#     "<domain> esmtp:[<realistic MX name>]" entries, hosts looked up in
#     /etc/hosts only (service.switch "hosts files"), Timeout.queuereturn=100s;
#     the private /etc/hosts has no "::1 fabrikam-..." line here (glibc would
#     turn it into 127.0.0.1, i.e. Sendmail itself);
#   * runs `sendmail-mta -bD -q15s -L sm-mta` (foreground daemon) and submits
#     the same test messages as the Postfix capture (sendmail -t as www-data
#     through the Debian MSP/submit.cf, and SMTP to 127.0.0.1:25), waits
#     until the deferred mail has been returned, and copies the rsyslog
#     (RSYSLOG_TraditionalFileFormat) output to tests/fixtures/sendmail/maillog.log.
#
# Clock: libfaketime via the private /etc/ld.so.preload + /etc/faketimerc
# (the MSP binary is setgid smmsp, so LD_PRELOAD would be ignored), so the
# log clock starts at $FAKE_START (default 2026-11-02 10:00:00).
# FAKE_START= (empty) disables it.
#
# Usage (as root, on a throw-away Debian 12 machine or container):
#   bash scripts/capture-sendmail-fixtures.sh
#   OUT=/some/dir bash scripts/capture-sendmail-fixtures.sh
#   KEEP_WORK=1 ...   # keep /tmp/blockscope-sendmail.* (fake-MX SMTP transcript)
# Run time: about 3 minutes; hard limit 10 minutes (timeout(1)).
# It leaves nothing running.  The only change outside the namespaces is the
# package installation and, if /dev/log or /run/sendmail did not exist, an
# empty placeholder used as bind-mount point (/dev/log is removed again).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
OUT=${OUT:-$REPO/tests/fixtures/sendmail}
FAKE_START=${FAKE_START-2026-11-02 10:00:00}
PHASE_WAIT=${PHASE_WAIT:-180}          # max seconds to wait for the queue to drain
FAKELIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1

log() { echo "capture-sendmail: $*" >&2; }

# --------------------------------------------------------------------------
# Outer part: preflight, then re-exec inside the namespaces.
# --------------------------------------------------------------------------
if [ "${BLOCKSCOPE_CAPTURE_INNER:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
    need=()
    [ -x /usr/sbin/sendmail-mta ] || need+=(sendmail-bin)
    command -v m4 >/dev/null || need+=(m4)
    command -v rsyslogd >/dev/null || need+=(rsyslog)
    [ -e "$FAKELIB" ] || need+=(faketime)
    command -v unshare >/dev/null || need+=(util-linux)
    if [ ${#need[@]} -gt 0 ]; then
        log "installing ${need[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >&2
    fi
    mkdir -p "$OUT" /run/sendmail
    created_devlog=0
    if [ ! -e /dev/log ]; then : > /dev/log; created_devlog=1; fi
    WORK=$(mktemp -d /tmp/blockscope-sendmail.XXXXXX)
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
SM_PID=""

faketime_off() { rm -f /etc/ld.so.preload /etc/faketimerc; }

stop_all() {
    if [ -n "$SM_PID" ]; then kill "$SM_PID" 2>/dev/null || true; wait "$SM_PID" 2>/dev/null || true; SM_PID=""; fi
    sleep 1   # let the last log lines reach rsyslog
    if [ -n "$RSYSLOG_PID" ]; then kill "$RSYSLOG_PID" 2>/dev/null || true; wait "$RSYSLOG_PID" 2>/dev/null || true; RSYSLOG_PID=""; fi
    if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=""; fi
    faketime_off 2>/dev/null || true
}
trap stop_all EXIT

# Private /etc: overlayfs whose upper layer lives on a private tmpfs.
mkdir -p "$WORK/ovl"
mount -t tmpfs -o mode=755 tmpfs "$WORK/ovl"
mkdir -p "$WORK/ovl/up" "$WORK/ovl/work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$WORK/ovl/up,workdir=$WORK/ovl/work" /etc
faketime_off
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
EOF
echo vps1.example.org > /etc/mailname

# Private spool/state/run/mail/log directories, same owners and modes as Debian's.
for d in spool/mqueue spool/mqueue-client lib-sendmail run-sendmail/mta run-sendmail/msp mail log; do mkdir -p "$WORK/$d"; done
chown smmta:smmsp "$WORK/spool/mqueue";        chmod 2750 "$WORK/spool/mqueue"
chown smmsp:smmsp "$WORK/spool/mqueue-client"; chmod 2770 "$WORK/spool/mqueue-client"
chown smmta:smmsp "$WORK/lib-sendmail";        chmod 2751 "$WORK/lib-sendmail"
chown root:smmta  "$WORK/run-sendmail";        chmod 2755 "$WORK/run-sendmail"
chown smmta:smmsp "$WORK/run-sendmail/mta";    chmod 2755 "$WORK/run-sendmail/mta"
chown smmsp:smmsp "$WORK/run-sendmail/msp";    chmod 2775 "$WORK/run-sendmail/msp"
chown root:mail "$WORK/mail"; chmod 2775 "$WORK/mail"
mount --bind "$WORK/spool" /var/spool
mount --bind "$WORK/lib-sendmail" /var/lib/sendmail
mount --bind "$WORK/run-sendmail" /run/sendmail
mount --bind "$WORK/mail" /var/mail
mount --bind "$WORK/log" /var/log
touch /var/lib/sendmail/sendmail.st /var/lib/sendmail/sm-client.st
chown smmta:smmsp /var/lib/sendmail/sendmail.st; chown smmsp:smmsp /var/lib/sendmail/sm-client.st
chmod 0640 /var/lib/sendmail/sendmail.st; chmod 0660 /var/lib/sendmail/sm-client.st

write_sendmail_conf() {
    cat > /etc/mail/sendmail.mc <<'EOF'
divert(-1)dnl
# blockscope fixture capture - generated by scripts/capture-sendmail-fixtures.sh
divert(0)dnl
define(`_USE_ETC_MAIL_')dnl
include(`/usr/share/sendmail/cf/m4/cf.m4')dnl
VERSIONID(`blockscope fixture capture')dnl
OSTYPE(`debian')dnl
DOMAIN(`debian-mta')dnl
undefine(`confHOST_STATUS_DIRECTORY')dnl
FEATURE(`no_default_msa')dnl
DAEMON_OPTIONS(`Family=inet,  Name=MTA-v4, Port=smtp, Addr=127.0.0.1')dnl
define(`confDOMAIN_NAME', `vps1.example.org')dnl
define(`confPRIVACY_FLAGS',dnl
`needmailhelo,needexpnhelo,needvrfyhelo,restrictqrun,restrictexpand,nobodyreturn,authwarnings')dnl
define(`confTO_QUEUERETURN', `100s')dnl
define(`confMIN_QUEUE_AGE', `0')dnl
FEATURE(`use_cw_file')dnl
FEATURE(`access_db', , `skip')dnl
FEATURE(`mailertable')dnl
FEATURE(`always_add_domain')dnl
dnl sensible-mda is only a Recommends: deliver bounces with Debian's mail.local
define(`LOCAL_MAILER_PATH', `/usr/libexec/sendmail/mail.local')dnl
define(`LOCAL_MAILER_ARGS', `mail.local -d $u')dnl
MAILER_DEFINITIONS
MAILER(`local')dnl
MAILER(`smtp')dnl
EOF
    cat > /etc/mail/mailertable <<'EOF'
hotmail.com   esmtp:[hotmail-com.olc.protection.outlook.com]
live.com      esmtp:[hotmail-com.olc.protection.outlook.com]
outlook.com   esmtp:[outlook-com.olc.protection.outlook.com]
contoso.com   esmtp:[contoso-com.mail.protection.outlook.com]
fabrikam.com  esmtp:[fabrikam-com.mail.protection.outlook.com]
gmail.com     esmtp:[gmail-smtp-in.l.google.com]
example.net   esmtp:[mx.example.net]
example.com   esmtp:[mx1.example.com]
t-online.de   esmtp:[mx00.t-online.de]
.             error:5.7.1:550 no route outside the fixture capture
EOF
    printf 'vps1.example.org\nvps1\nlocalhost\n' > /etc/mail/local-host-names
    printf 'passwd\t\tfiles\nhosts\t\tfiles\naliases\t\tfiles\n' > /etc/mail/service.switch
    : > /etc/mail/access
    (cd /etc/mail &&
        makemap hash mailertable < mailertable &&
        makemap hash access < access &&
        m4 sendmail.mc > sendmail.cf) >&2
    chmod 644 /etc/mail/sendmail.cf /etc/mail/mailertable.db /etc/mail/access.db
    # bounces for www-data go to root's mailbox (mail.local refuses to deliver
    # to www-data, whose home /var/www may not exist), as on many real VPSes
    grep -q '^www-data:' /etc/mail/aliases || echo "www-data: root" >> /etc/mail/aliases
    newaliases >&2 || true
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

sendmail_submit() {   # sendmail_submit RCPT[,RCPT...] SUBJECT   (as www-data via the MSP)
    local rcpts=$1 subj=$2
    printf 'From: WordPress <www-data@vps1.example.org>\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: <%s@vps1.example.org>\n\nTest message for blockscope fixtures.\n' \
        "$rcpts" "$subj" "$(date -R)" "$(date +%s%N)" |
        runuser -u www-data -- /usr/sbin/sendmail -i -t
}

queue_count() {   # messages in the MTA and MSP queues
    find /var/spool/mqueue /var/spool/mqueue-client -name 'qf*' 2>/dev/null | grep -c . || true
}

inject_all() {
    sendmail_submit "user1@hotmail.com" "Your order #1001"                 # 550 5.7.1 S3140 at MAIL FROM
    smtp_submit "www-data@vps1.example.org" \
        "banned@contoso.com,bannedsender@contoso.com,denied@contoso.com,busy@contoso.com,ok@contoso.com" \
        "Invoice 2026-118"                                                # 5.7.606 / 5.7.511 / 5.4.1 / 4.7.500 / 250
    sendmail_submit "someone@outlook.com" "Password reset"                 # 451 4.7.650 -> deferred -> returned
    sendmail_submit "blocked@gmail.com" "Newsletter November"              # multi-line 550-5.7.1 after DATA
    smtp_submit "www-data@vps1.example.org" "ratelimited@gmail.com" "Newsletter November"  # multi-line 421-4.7.28
    sendmail_submit "friend@gmail.com" "Hello"                             # 250
    smtp_submit "www-data@vps1.example.org" \
        "nobody@example.net,full@example.net,alice@example.net" "Contact form"   # 5.1.1 / 5.2.2 / 250
    sendmail_submit "info@example.com" "Quote request"                     # 554 5.7.1 Spamhaus at RCPT
    sendmail_submit "kunde@t-online.de" "Ihre Bestellung"                  # 554 greeting
    sendmail_submit "sales@fabrikam.com" "Partnership"                     # 451 4.7.500 at RCPT -> returned
}

write_sendmail_conf
if [ -n "$FAKE_START" ]; then
    ft=$(printf '%+d' $(( $(date -u -d "$FAKE_START" +%s) - $(date -u +%s) )))
    echo "$ft" > /etc/faketimerc
    echo "$FAKELIB" > /etc/ld.so.preload
    log "fake clock offset: $ft"
fi
start_rsyslog 'mail.* action(type="omfile" file="/var/log/mail.log" template="RSYSLOG_TraditionalFileFormat")'
start_fake_mx
/usr/sbin/sendmail-mta -bD -q15s -L sm-mta &
SM_PID=$!
for _ in $(seq 50); do
    python3 -c 'import smtplib; s = smtplib.SMTP("127.0.0.1", 25, local_hostname="localhost", timeout=5); s.ehlo(); s.quit()' 2>/dev/null && break
    sleep 0.3
done
inject_all
t=0
while [ $t -lt "$PHASE_WAIT" ] && [ "$(queue_count)" != 0 ]; do
    sleep 5; t=$((t + 5))
    # the MSP queue has no runner of its own here; flush it now and then
    [ $((t % 30)) = 0 ] && /usr/sbin/sendmail -Ac -q >&2 2>/dev/null || true
done
sleep 3
[ "$(queue_count)" = 0 ] || { log "queue not empty after ${PHASE_WAIT}s:"; /usr/sbin/sendmail-mta -bp >&2 || true; }
stop_all
mountpoint -q /dev/log && umount /dev/log || true
cp /var/log/mail.log "$OUT/maillog.log"
chmod 644 "$OUT"/*.log
/usr/sbin/sendmail-mta -d0.1 -bt < /dev/null 2>/dev/null | head -1 >&2 || true
