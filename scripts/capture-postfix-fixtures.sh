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
#     temporary directory and /dev/shm is a private tmpfs, so the host's own
#     Postfix config, queue and logs are never touched and everything
#     vanishes when the namespace exits;
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
#   KEEP_WORK=1 ...   # keep /tmp/blockscope-postfix.* (SMTP transcript of the fake MX)
# Run time: about 2.5 minutes per phase; hard limit 15 minutes (timeout(1)).
# Shared plumbing (namespaces, rsyslog, fake MX, faketime, test messages):
# scripts/lib/capture-common.sh.
# It leaves nothing running.  The only change outside the namespaces is the
# package installation and, if /dev/log did not exist, an empty placeholder
# file used as bind-mount point, removed again at the end.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CAPTURE_MTA=postfix
PHASE_WAIT=${PHASE_WAIT:-150}          # max seconds to wait for the queue to drain per phase
# shellcheck source=lib/capture-common.sh
. "$HERE/lib/capture-common.sh"

# --------------------------------------------------------------------------
# Outer part: preflight, then re-exec inside the namespaces.
# --------------------------------------------------------------------------
mta_missing_packages() { command -v postconf >/dev/null || echo postfix; }
mta_preseed() {
    echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
    echo "postfix postfix/mailname string vps1.example.org" | debconf-set-selections
}
capture_reexec_in_namespaces 900 -- "$@"

# --------------------------------------------------------------------------
# Inner part: runs in the private namespaces.
# --------------------------------------------------------------------------
mta_stop() {
    if [ -f /var/spool/postfix/pid/master.pid ] && postfix status >/dev/null 2>&1; then
        postfix stop >&2 || true
        for _ in $(seq 20); do postfix status >/dev/null 2>&1 || break; sleep 0.5; done
    fi
}
mta_queue_count() { postqueue -j 2>/dev/null | grep -c . || true; }
mta_queue_show() { postqueue -p; }

capture_enter_namespace

# Private copies of everything Postfix writes or reads.
cp -a /etc/postfix "$WORK/etc-postfix.orig"
cp -a /etc/postfix "$WORK/etc-postfix"
mount --bind "$WORK/etc-postfix" /etc/postfix
capture_setup_hosts
mkdir -p "$WORK/lib-postfix"
chown postfix:postfix "$WORK/lib-postfix"
mount --bind "$WORK/lib-postfix" /var/lib/postfix
capture_private_mail_and_log

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
    # Private alias table: local(8) defers bounces to www-data ("alias database
    # unavailable") when the host's /etc/aliases.db is missing, which other MTA
    # packages (sendmail, exim4, opensmtpd) can leave behind.
    { cat /etc/aliases 2>/dev/null || echo "postmaster: root"; } > /etc/postfix/aliases
    postalias /etc/postfix/aliases
    postconf -e "alias_maps = hash:/etc/postfix/aliases" "alias_database = hash:/etc/postfix/aliases"
    # No chroot: nothing to copy into /var/spool/postfix/etc.
    postconf -F '*/*/chroot = n'
    capture_routes | awk '{ printf "%-13s smtp:[%s]\n", $1, $2 }' > /etc/postfix/transport
}

fresh_spool() {
    local d="$WORK/spool-$1"
    mkdir -p "$d"
    mountpoint -q /var/spool/postfix && umount /var/spool/postfix
    mount --bind "$d" /var/spool/postfix
    postfix check >&2 || true
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

# Test messages: capture_inject_standard (sendmail/pickup as www-data and SMTP
# to smtpd on 127.0.0.1:25); someone@outlook.com expires after 90 s, the
# fabrikam.com message (non-final MX + deferred) is force-expired below.

run_phase() {   # run_phase NAME FAKE_START_FOR_PHASE
    local name=$1 start=$2 ft
    ft=$(capture_fake_offset "$start")
    log "=== phase $name (fake clock offset: ${ft:-none}) ==="
    capture_faketime_env "$ft"
    base_postfix_config "$ft"
    fresh_spool "$name"
    rm -f /var/log/*.log
    case $name in
    syslog)
        capture_start_rsyslog "$RSYSLOG_MAIL_TRADITIONAL
mail.* action(type=\"omfile\" file=\"/var/log/mail-rfc3339.log\" template=\"RSYSLOG_FileFormat\")" ;;
    maillog)
        postconf -e "maillog_file = /var/log/postfix.log" ;;
    multi)
        capture_start_rsyslog "$RSYSLOG_MAIL_TRADITIONAL"
        postconf -e "syslog_name = postfix-out"
        postconf -M "smtp-ip7/unix=smtp-ip7 unix - - n - - smtp -o syslog_name=postfix-198.51.100.7 -o smtp_helo_name=mail7.vps1.example.org"
        sed -i -E 's/^(hotmail|live|outlook|contoso|fabrikam)(\.com\s+)smtp:/\1\2smtp-ip7:/' /etc/postfix/transport ;;
    esac
    capture_start_fake_mx
    postfix start >&2
    sleep 2
    capture_inject_standard
    # let the first delivery attempts happen, then force-expire the fabrikam message
    sleep 25
    for id in $(queue_ids_for fabrikam.com); do
        postsuper -e "$id" >&2
        postqueue -i "$id"
    done
    capture_drain_queue
    capture_stop_all
    case $name in
    syslog)
        capture_collect /var/log/mail.log rsyslog-traditional.log
        capture_collect /var/log/mail-rfc3339.log rsyslog-rfc3339.log ;;
    maillog)
        capture_collect /var/log/postfix.log maillog-file.log ;;
    multi)
        capture_collect /var/log/mail.log multi-instance.log ;;
    esac
    capture_faketime_env ""
}

# Each phase gets its own hour of the fake clock: syslog 10:00, maillog 11:00, multi 12:00.
capture_run_phases "syslog maillog multi" "$@"
postconf mail_version >&2
