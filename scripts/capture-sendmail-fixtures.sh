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
#     /run/sendmail, /var/mail and /var/log are private directories and
#     /dev/shm is a private tmpfs; every process still running when the
#     namespace exits is killed;
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
# Shared plumbing (namespaces, rsyslog, fake MX, faketime, test messages):
# scripts/lib/capture-common.sh.
# It leaves nothing running.  The only change outside the namespaces is the
# package installation and, if /dev/log or /run/sendmail did not exist, an
# empty placeholder used as bind-mount point (/dev/log is removed again).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CAPTURE_MTA=sendmail
PHASE_WAIT=${PHASE_WAIT:-180}          # max seconds to wait for the queue to drain
# shellcheck source=lib/capture-common.sh
. "$HERE/lib/capture-common.sh"

# --------------------------------------------------------------------------
# Outer part: preflight, then re-exec inside the namespaces.
# --------------------------------------------------------------------------
mta_missing_packages() {
    [ -x /usr/sbin/sendmail-mta ] || echo sendmail-bin
    command -v m4 >/dev/null || echo m4
}
mta_before_namespaces() { mkdir -p /run/sendmail; }   # bind-mount point
capture_reexec_in_namespaces --pid 600 --no-install-recommends -- "$@"

# --------------------------------------------------------------------------
# Inner part: runs in the private namespaces (we are PID 1 here).
# --------------------------------------------------------------------------
SM_PID=""
mta_stop() { capture_kill SM_PID; }
mta_queue_count() {   # messages in the MTA and MSP queues
    find /var/spool/mqueue /var/spool/mqueue-client -name 'qf*' 2>/dev/null | grep -c . || true
}
mta_queue_show() { /usr/sbin/sendmail-mta -bp; }
mta_drain_tick() {   # the MSP queue has no runner of its own here; flush it now and then
    [ $(($1 % 30)) = 0 ] && /usr/sbin/sendmail -Ac -q >&2 2>/dev/null || true
}

capture_enter_namespace
capture_private_etc
capture_faketime_off
# no "::1 fabrikam-..." line: glibc would turn it into 127.0.0.1, i.e. Sendmail itself
capture_setup_hosts --no-ipv6
echo vps1.example.org > /etc/mailname

# Private spool/state/run directories, same owners and modes as Debian's.
for d in spool/mqueue spool/mqueue-client lib-sendmail run-sendmail/mta run-sendmail/msp; do mkdir -p "$WORK/$d"; done
chown smmta:smmsp "$WORK/spool/mqueue";        chmod 2750 "$WORK/spool/mqueue"
chown smmsp:smmsp "$WORK/spool/mqueue-client"; chmod 2770 "$WORK/spool/mqueue-client"
chown smmta:smmsp "$WORK/lib-sendmail";        chmod 2751 "$WORK/lib-sendmail"
chown root:smmta  "$WORK/run-sendmail";        chmod 2755 "$WORK/run-sendmail"
chown smmta:smmsp "$WORK/run-sendmail/mta";    chmod 2755 "$WORK/run-sendmail/mta"
chown smmsp:smmsp "$WORK/run-sendmail/msp";    chmod 2775 "$WORK/run-sendmail/msp"
mount --bind "$WORK/spool" /var/spool
mount --bind "$WORK/lib-sendmail" /var/lib/sendmail
mount --bind "$WORK/run-sendmail" /run/sendmail
capture_private_mail_and_log
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
    {
        capture_routes | awk '{ printf "%-13s esmtp:[%s]\n", $1, $2 }'
        echo ".             error:5.7.1:550 no route outside the fixture capture"
    } > /etc/mail/mailertable
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

# Test messages: capture_inject_standard (sendmail -t as www-data through the
# MSP and SMTP to 127.0.0.1:25); the deferred outlook.com and fabrikam.com
# (451 4.7.500 at RCPT) mail is returned after Timeout.queuereturn (100 s).

write_sendmail_conf
ft=$(capture_fake_offset "$FAKE_START")
capture_faketime_preload "$ft"
if [ -n "$ft" ]; then log "fake clock offset: $ft"; fi
capture_start_rsyslog "$RSYSLOG_MAIL_TRADITIONAL"
capture_start_fake_mx
/usr/sbin/sendmail-mta -bD -q15s -L sm-mta &
SM_PID=$!
capture_wait_smtpd ehlo || true
capture_inject_standard
capture_drain_queue
capture_stop_all
capture_collect /var/log/mail.log maillog.log
/usr/sbin/sendmail-mta -d0.1 -bt < /dev/null 2>/dev/null | head -1 >&2 || true
