# shellcheck shell=bash
# scripts/lib/capture-common.sh - shared plumbing of the real-MTA fixture
# captures (scripts/capture-{postfix,exim,opensmtpd,sendmail}-fixtures.sh).
#
# Sourced, never executed.  Everything MTA-specific (package name, MTA config,
# spool layout, how the MTA is started/stopped/queried, what log is copied
# where) stays in the capture script; this file holds what all four share:
#
#   outer part (on the host, as root)
#     capture_reexec_in_namespaces [--pid] TIMEOUT [APT-OPTION...] -- ARGS...
#                               no-op inside the namespaces; on the host:
#                               check root, apt-get install what is missing
#                               (mta_missing_packages + rsyslog/faketime/
#                               util-linux), make $OUT and $WORK, re-run the
#                               script with ARGS inside `unshare -n -u -m`
#                               (--pid: also -p, every process is killed at the
#                               end) under timeout(1) TIMEOUT, remove $WORK,
#                               exit with the inner status (does not return)
#   inner part (inside the namespaces: loopback only, hostname vps1)
#     capture_enter_namespace   lo up, hostname, private tmpfs on /dev/shm
#                               (libfaketime litters it), EXIT trap
#     capture_private_etc       /etc becomes an overlayfs on a private tmpfs
#     capture_routes            "domain MX-name" lines: where each test domain goes
#     capture_setup_hosts [--no-ipv6]
#                               MX names -> 127.0.0.2-9 (and ::1 for fabrikam)
#                               in the private /etc/hosts (appended when /etc
#                               is the overlay, else a bind-mounted copy)
#     capture_private_mail_and_log
#                               private /var/mail and /var/log
#     capture_fake_offset TIME  signed libfaketime offset to TIME ("" when
#                               FAKE_START is empty)
#     capture_faketime_env OFFSET      LD_PRELOAD/FAKETIME in the environment
#     capture_faketime_preload OFFSET  /etc/ld.so.preload + /etc/faketimerc
#                               (needs capture_private_etc; for setuid MTAs)
#     capture_faketime_off      removes those two files again
#     capture_start_rsyslog ACTIONS   rsyslogd on a private socket bound over
#                               /dev/log; $RSYSLOG_MAIL_TRADITIONAL is the usual
#                               "mail.* -> /var/log/mail.log" action
#     capture_start_fake_mx     scripts/fake-mx.py, waits until it listens
#     capture_wait_smtpd connect|ehlo   waits for the MTA on 127.0.0.1:25
#     capture_smtp_submit FROM RCPT[,RCPT...] SUBJECT      (SMTP, 127.0.0.1:25)
#     capture_sendmail_submit RCPT[,RCPT...] SUBJECT       (sendmail -t as www-data)
#     capture_inject_standard   the standard set of test messages
#     capture_drain_queue       waits up to $PHASE_WAIT s for an empty queue
#     capture_stop_all          stops MTA (hook), rsyslog, fake MX; frees /dev/log
#     capture_collect SRC NAME  copies SRC to $OUT/NAME (mode 644)
#     capture_run_phases "DEFAULT PHASES" [PHASE...]
#                               calls run_phase NAME "<day> HH:00:00" for each
#                               phase, the n-th default phase at 10+n o'clock
#
# Hooks the capture script may define (looked up when called):
#   mta_missing_packages  print the MTA packages to install (none if present)
#   mta_preseed        debconf-set-selections before apt-get install
#   mta_before_namespaces  host-side preparation (e.g. a bind-mount point)
#   mta_stop           stop the MTA (first step of capture_stop_all)
#   mta_queue_count    print the number of queued messages (capture_drain_queue)
#   mta_queue_show     print the queue when it does not drain in time
#   mta_drain_tick T   called every 5 s while draining (T = seconds waited)
#
# Before sourcing, the script sets CAPTURE_MTA (postfix, exim, ...) and HERE
# (the scripts/ directory); PHASE_WAIT may be given a default.  Environment
# understood by all capture scripts:
#   OUT=DIR        where the logs go (default tests/fixtures/$CAPTURE_MTA)
#   FAKE_START=T   fake clock start (default 2026-11-02 10:00:00; empty = real clock)
#   PHASE_WAIT=S   max seconds to wait for the queue to drain
#   KEEP_WORK=1    keep the work dir /tmp/blockscope-$CAPTURE_MTA.* (fake-MX transcript)

: "${CAPTURE_MTA:?set CAPTURE_MTA before sourcing capture-common.sh}"
: "${HERE:?set HERE before sourcing capture-common.sh}"
REPO=$(cd "$HERE/.." && pwd)
OUT=${OUT:-$REPO/tests/fixtures/$CAPTURE_MTA}
FAKE_START=${FAKE_START-2026-11-02 10:00:00}
PHASE_WAIT=${PHASE_WAIT:-150}
FAKELIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
RSYSLOG_MAIL_TRADITIONAL='mail.* action(type="omfile" file="/var/log/mail.log" template="RSYSLOG_TraditionalFileFormat")'
CAPTURE_ETC_OVERLAY=0
FAKE_PID=""
RSYSLOG_PID=""

log() { echo "capture-$CAPTURE_MTA: $*" >&2; }

capture_is_inner() { [ "${BLOCKSCOPE_CAPTURE_INNER:-}" = 1 ]; }

capture_hook() {   # capture_hook NAME ARGS... - run the hook if the script defines it
    if declare -F "$1" >/dev/null; then "$@"; fi
}

# ==========================================================================
# Outer part
# ==========================================================================

capture_reexec_in_namespaces() {   # [--pid] TIMEOUT [APT-OPTION...] -- ARGS...
    capture_is_inner && return 0
    [ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
    local ns=(-n -u -m) limit apt_opts=() need=() created_devlog=0 rc=0
    if [ "$1" = --pid ]; then ns+=(-p -f --kill-child --mount-proc); shift; fi
    limit=$1; shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do apt_opts+=("$1"); shift; done
    [ $# -gt 0 ] && shift

    # packages
    read -r -a need <<< "$(capture_hook mta_missing_packages)"
    command -v rsyslogd >/dev/null || need+=(rsyslog)
    [ -e "$FAKELIB" ] || need+=(faketime)
    command -v unshare >/dev/null || need+=(util-linux)
    if [ ${#need[@]} -gt 0 ]; then
        log "installing ${need[*]}"
        capture_hook mta_preseed
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${apt_opts[@]}" "${need[@]}" >&2
    fi

    capture_hook mta_before_namespaces
    mkdir -p "$OUT"
    # bind-mount point for the private syslog socket
    if [ ! -e /dev/log ]; then : > /dev/log; created_devlog=1; fi
    WORK=$(mktemp -d "/tmp/blockscope-$CAPTURE_MTA.XXXXXX")
    chmod 755 "$WORK"
    BLOCKSCOPE_CAPTURE_INNER=1 WORK="$WORK" OUT="$OUT" FAKE_START="$FAKE_START" PHASE_WAIT="$PHASE_WAIT" \
        timeout -k 10 "$limit" unshare "${ns[@]}" --propagation private -- bash "$0" "$@" || rc=$?
    if [ $created_devlog = 1 ] && [ -f /dev/log ] && [ ! -s /dev/log ]; then rm -f /dev/log; fi
    if [ "${KEEP_WORK:-0}" = 1 ]; then
        log "kept work dir $WORK (fake-mx-transcript.txt has the SMTP dialogues)"
    else
        rm -rf "$WORK"
    fi
    if [ $rc = 0 ]; then log "done; fixtures in $OUT"; else log "FAILED (rc=$rc)"; fi
    exit $rc
}

# ==========================================================================
# Inner part: namespace set-up
# ==========================================================================

capture_enter_namespace() {
    ip link set lo up
    hostname vps1
    # private /dev/shm: libfaketime leaves faketime_shm_<pid>/sem.faketime_sem_<pid>
    # files there; keep them out of the host's /dev/shm (and away from stale ones)
    mount -t tmpfs -o mode=1777 tmpfs /dev/shm
    log "work dir $WORK"
    trap capture_stop_all EXIT
}

capture_private_etc() {   # /etc = overlayfs whose upper layer lives on a private tmpfs
    mkdir -p "$WORK/ovl"
    mount -t tmpfs -o mode=755 tmpfs "$WORK/ovl"
    mkdir -p "$WORK/ovl/up" "$WORK/ovl/work"
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$WORK/ovl/up,workdir=$WORK/ovl/work" /etc
    CAPTURE_ETC_OVERLAY=1
}

capture_routes() {   # "domain MX-name": the realistic MX each test domain is routed to
    cat <<'EOF'
hotmail.com hotmail-com.olc.protection.outlook.com
live.com hotmail-com.olc.protection.outlook.com
outlook.com outlook-com.olc.protection.outlook.com
contoso.com contoso-com.mail.protection.outlook.com
fabrikam.com fabrikam-com.mail.protection.outlook.com
gmail.com gmail-smtp-in.l.google.com
example.net mx.example.net
example.com mx1.example.com
t-online.de mx00.t-online.de
EOF
}

capture_setup_hosts() {   # [--no-ipv6]: leave out "::1 fabrikam-..." (glibc maps it to 127.0.0.1)
    local v6=1 lines
    [ "${1:-}" = --no-ipv6 ] && v6=0
    lines='# --- blockscope fixture capture: fake receivers on loopback ---
127.0.1.1   vps1.example.org vps1
127.0.0.2   hotmail-com.olc.protection.outlook.com
127.0.0.3   contoso-com.mail.protection.outlook.com
127.0.0.4   outlook-com.olc.protection.outlook.com
127.0.0.5   gmail-smtp-in.l.google.com
127.0.0.6   mx.example.net
127.0.0.7   mx1.example.com
127.0.0.8   mx00.t-online.de
127.0.0.9   fabrikam-com.mail.protection.outlook.com'
    [ $v6 = 1 ] && lines+=$'\n''::1         fabrikam-com.mail.protection.outlook.com'
    if [ "$CAPTURE_ETC_OVERLAY" = 1 ]; then
        printf '%s\n' "$lines" >> /etc/hosts
    else
        { cat /etc/hosts; printf '%s\n' "$lines"; } > "$WORK/hosts"
        mount --bind "$WORK/hosts" /etc/hosts
    fi
}

capture_private_mail_and_log() {
    mkdir -p "$WORK/mail" "$WORK/log"
    chown root:mail "$WORK/mail"; chmod 2775 "$WORK/mail"
    mount --bind "$WORK/mail" /var/mail
    mount --bind "$WORK/log" /var/log
}

# ==========================================================================
# Inner part: fake clock
# ==========================================================================

capture_fake_offset() {   # TIME -> signed offset in seconds (real clock now), "" without FAKE_START
    [ -n "$FAKE_START" ] || return 0
    local target now
    target=$(date -u -d "$1" +%s); now=$(date -u +%s)
    printf '%+d\n' $((target - now))
}

capture_faketime_env() {   # OFFSET: export LD_PRELOAD/FAKETIME, or unset them for ""
    if [ -n "$1" ]; then
        export LD_PRELOAD=$FAKELIB FAKETIME=$1
    else
        unset LD_PRELOAD FAKETIME || true
    fi
}

capture_faketime_preload() {   # OFFSET: every new process (setuid ones too) gets libfaketime
    [ -n "$1" ] || return 0
    [ "$CAPTURE_ETC_OVERLAY" = 1 ] || { log "capture_faketime_preload needs capture_private_etc"; exit 1; }
    echo "$1" > /etc/faketimerc
    echo "$FAKELIB" > /etc/ld.so.preload
}

capture_faketime_off() {   # only ever on the private /etc overlay
    [ "$CAPTURE_ETC_OVERLAY" = 1 ] || return 0
    rm -f /etc/ld.so.preload /etc/faketimerc
}

# ==========================================================================
# Inner part: helper daemons
# ==========================================================================

capture_kill() {   # VAR: kill and reap the process whose pid is in $VAR, then clear VAR
    local pid=${!1}
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    printf -v "$1" '%s' ""
}

capture_start_rsyslog() {   # ACTIONS: rsyslog action lines
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

capture_start_fake_mx() {
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

capture_wait_smtpd() {   # connect|ehlo: wait (<= ~15 s) for the MTA on 127.0.0.1:25; 1 = not up
    # "connect" only opens and closes a TCP connection; "ehlo" does a clean
    # EHLO/QUIT (logged by some MTAs as a connect/disconnect pair)
    local probe
    case $1 in
    connect) probe='import socket; socket.create_connection(("127.0.0.1", 25), timeout=1).close()' ;;
    ehlo)    probe='import smtplib; s = smtplib.SMTP("127.0.0.1", 25, local_hostname="localhost", timeout=5); s.ehlo(); s.quit()' ;;
    *) log "capture_wait_smtpd: unknown probe $1"; exit 2 ;;
    esac
    for _ in $(seq 60); do
        python3 -c "$probe" 2>/dev/null && return 0
        sleep 0.25
    done
    return 1
}

# ==========================================================================
# Inner part: test messages
# ==========================================================================

capture_smtp_submit() {   # FROM RCPT[,RCPT...] SUBJECT   (SMTP to the MTA on 127.0.0.1:25)
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

capture_sendmail_submit() {   # RCPT[,RCPT...] SUBJECT   (as www-data through the MTA's /usr/sbin/sendmail)
    local rcpts=$1 subj=$2
    printf 'From: WordPress <www-data@vps1.example.org>\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: <%s@vps1.example.org>\n\nTest message for blockscope fixtures.\n' \
        "$rcpts" "$subj" "$(date -R)" "$(date +%s%N)" |
        runuser -u www-data -- /usr/sbin/sendmail -i -t
}

capture_inject_standard() {   # the test messages shared by the Postfix, Exim and Sendmail captures
    capture_sendmail_submit "user1@hotmail.com" "Your order #1001"           # 550 5.7.1 S3140 at MAIL FROM
    capture_smtp_submit "www-data@vps1.example.org" \
        "banned@contoso.com,bannedsender@contoso.com,denied@contoso.com,busy@contoso.com,ok@contoso.com" \
        "Invoice 2026-118"                                                  # 5.7.606 / 5.7.511 / 5.4.1 / 4.7.500 / 250
    capture_sendmail_submit "someone@outlook.com" "Password reset"           # 451 4.7.650 -> deferred -> expires
    capture_sendmail_submit "blocked@gmail.com" "Newsletter November"        # multi-line 550-5.7.1 after DATA
    capture_smtp_submit "www-data@vps1.example.org" "ratelimited@gmail.com" "Newsletter November"  # multi-line 421-4.7.28
    capture_sendmail_submit "friend@gmail.com" "Hello"                       # 250
    capture_smtp_submit "www-data@vps1.example.org" \
        "nobody@example.net,full@example.net,alice@example.net" "Contact form"   # 5.1.1 / 5.2.2 / 250
    capture_sendmail_submit "info@example.com" "Quote request"               # 554 5.7.1 Spamhaus at RCPT
    capture_sendmail_submit "kunde@t-online.de" "Ihre Bestellung"            # 554 greeting
    capture_sendmail_submit "sales@fabrikam.com" "Partnership"               # deferred; the script gives up on it
}

# ==========================================================================
# Inner part: end of a run / phase
# ==========================================================================

capture_drain_queue() {   # wait up to $PHASE_WAIT s until mta_queue_count says 0
    local t=0
    while [ $t -lt "$PHASE_WAIT" ] && [ "$(mta_queue_count)" != 0 ]; do
        sleep 5; t=$((t + 5))
        capture_hook mta_drain_tick "$t"
    done
    sleep 3
    if [ "$(mta_queue_count)" != 0 ]; then
        log "queue not empty after ${PHASE_WAIT}s:"
        capture_hook mta_queue_show >&2 || true
    fi
}

capture_stop_all() {   # MTA (hook), then rsyslog and the fake MX; safe to call twice
    capture_hook mta_stop || true
    sleep 1   # let the last log lines reach rsyslog
    capture_kill RSYSLOG_PID
    capture_kill FAKE_PID
    if mountpoint -q /dev/log; then umount /dev/log || true; fi
    capture_faketime_off 2>/dev/null || true
}

capture_collect() {   # SRC NAME: copy a log into $OUT
    cp "$1" "$OUT/$2"
    chmod 644 "$OUT/$2"
}

capture_run_phases() {   # "DEFAULT PHASES" [PHASE...]: run_phase NAME "<day> HH:00:00" for each
    local defaults=($1) phases i hour fake_day
    shift
    phases=("$@")
    [ ${#phases[@]} -gt 0 ] || phases=("${defaults[@]}")
    # each phase gets its own hour of the fake clock: the n-th default phase at 10+n:00
    fake_day=$(date -u -d "${FAKE_START:-now}" +%Y-%m-%d)
    for p in "${phases[@]}"; do
        hour=""
        for i in "${!defaults[@]}"; do [ "${defaults[$i]}" = "$p" ] && hour=$((10 + i)); done
        [ -n "$hour" ] || { log "unknown phase $p (use: ${defaults[*]})"; exit 2; }
        run_phase "$p" "$fake_day $hour:00:00"
    done
}
