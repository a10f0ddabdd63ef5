#!/bin/bash
# capture-central-syslog.sh - a REAL central rsyslogd receiving the syslog of
# several "VPS" senders over loopback, for blockscope's central-syslog test
# fixtures (tests/fixtures/central-syslog/).
#
# What it does
#   * installs rsyslog and faketime from Debian if missing (needs root and
#     `apt-get update` to work); logger(1) comes with util-linux/bsdutils;
#   * enters private network + UTS + mount namespaces (unshare -n -u -m):
#     only a loopback interface exists, so no packet can leave the machine;
#     hostname is "loghost"; /var/log is a private directory and /dev/shm a
#     private tmpfs;
#   * starts the central rsyslogd listening on 127.0.0.1:514 (imudp and
#     imtcp), writing every mail.* message three ways:
#       central/mail.log          template "AsSent" = %rawmsg-after-pri%: each
#                                 line as its sender formatted it, so the
#                                 hosts' timestamp styles are interleaved
#       central-rfc3339/mail.log  RSYSLOG_FileFormat (Debian 12's stock format)
#       remote/%HOSTNAME%/mail.log  RSYSLOG_TraditionalFileFormat, one
#                                 directory per sending host (the usual
#                                 /var/log/remote/%HOSTNAME%/ layout)
#   * replays real Postfix log lines (tests/fixtures/postfix/*.log, written
#     by the real Postfix binary, see its README) from four senders at the
#     same time, each line one syslog message with the line's own program
#     name, pid and text; each logger sender runs in its own UTS namespace
#     (unshare -u) whose hostname is the VPS's, which logger puts in the
#     HOSTNAME field:
#       vps1              rsyslog-traditional.log  logger --rfc3164 over UDP
#       vps2.example.net  multi-instance.log       logger --rfc5424 over TCP
#       VPS3              maillog-file.log         a second, sender-side
#                                                  rsyslogd (localHostname
#                                                  VPS3, imuxsock) forwarding
#                                                  with omfwd over TCP in
#                                                  RSYSLOG_ForwardFormat
#                                                  (high-precision RFC 3339)
#       vps9              rsyslog-rfc3339.log,     logger --rfc3164 over UDP
#                         first 40 lines           (a host the test inventory
#                                                  does not know)
#     The sending addresses the receivers quote are renumbered per sender
#     (vps1 as captured, vps2 +100 and VPS3 +200 in the last octet:
#     198.51.100.7 -> .107 -> .207, likewise .9, 203.0.113.25/.40,
#     192.0.2.14/.33), and vps1.example.org becomes vps2.example.org /
#     vps3.example.org, so that every customer's VPS quotes its own addresses.
#     (also inside a syslog name such as postfix-198.51.100.7/smtp).
#     Nothing else in a message is changed.
#   * Clock: every process runs under libfaketime with a fixed offset so that
#     the clock starts at $FAKE_START (default 2026-12-31 23:59:50 UTC): the
#     replay runs across New Year, to exercise year inference per host.
#
# Usage (as root, on a throw-away Debian 12 machine or container):
#   bash scripts/capture-central-syslog.sh
#   OUT=/some/dir bash scripts/capture-central-syslog.sh
# Run time: about 40 seconds; hard limit 5 minutes (timeout(1)).
# Shared plumbing (namespaces, faketime, stopping): scripts/lib/capture-common.sh.
# It leaves nothing running.  The only change outside the namespaces is the
# package installation and, if /dev/log did not exist, an empty placeholder
# file, removed again at the end.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CAPTURE_MTA=central-syslog
FAKE_START=${FAKE_START-2026-12-31 23:59:50}
# shellcheck source=lib/capture-common.sh
. "$HERE/lib/capture-common.sh"

capture_reexec_in_namespaces 300 -- "$@"

# --------------------------------------------------------------------------
# Inner part: runs in the private namespaces.
# --------------------------------------------------------------------------
SENDER_PID=""
mta_stop() { capture_kill SENDER_PID; }   # the sender-side rsyslogd of VPS3

export TZ=UTC
capture_enter_namespace
hostname loghost
capture_private_mail_and_log
capture_faketime_env "$(capture_fake_offset "$FAKE_START")"

mkdir -p "$WORK/central-spool" "$WORK/sender-spool" /var/log/central /var/log/central-rfc3339 /var/log/remote
cat > "$WORK/central.conf" <<'EOF'
global(maxMessageSize="64k")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="514")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="514")
template(name="AsSent" type="string" string="%rawmsg-after-pri%\n")
template(name="PerHost" type="string" string="/var/log/remote/%HOSTNAME%/mail.log")
mail.* action(type="omfile" file="/var/log/central/mail.log" template="AsSent")
mail.* action(type="omfile" file="/var/log/central-rfc3339/mail.log" template="RSYSLOG_FileFormat")
mail.* action(type="omfile" dynaFile="PerHost" template="RSYSLOG_TraditionalFileFormat")
EOF
echo "global(workDirectory=\"$WORK/central-spool\")" >> "$WORK/central.conf"
rsyslogd -n -f "$WORK/central.conf" -i "$WORK/central.pid" &
RSYSLOG_PID=$!

cat > "$WORK/sender.conf" <<EOF
global(workDirectory="$WORK/sender-spool" localHostname="VPS3" maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$WORK/vps3.sock" RateLimit.Interval="0" UseSysTimeStamp="off" UseSpecialParser="off" ParseHostname="on")
mail.* action(type="omfwd" target="127.0.0.1" port="514" protocol="tcp" template="RSYSLOG_ForwardFormat")
EOF
rsyslogd -n -f "$WORK/sender.conf" -i "$WORK/sender.pid" &
SENDER_PID=$!

for _ in $(seq 50); do
    python3 -c 'import socket; socket.create_connection(("127.0.0.1", 514), timeout=1).close()' 2>/dev/null &&
        [ -S "$WORK/vps3.sock" ] && break
    sleep 0.2
done
[ -S "$WORK/vps3.sock" ] || { log "the rsyslogds did not come up"; exit 1; }
log "central rsyslogd on 127.0.0.1:514 (udp+tcp), sender rsyslogd for VPS3 on $WORK/vps3.sock"

# replay HOSTNAME SENDER-ARGS FIXTURE RENUMBER [MAX-LINES]: one logger call per
# line, with the line's program as tag and its pid as --id, in a UTS namespace
# whose hostname is HOSTNAME ("-": the sender-side rsyslogd names the host).
replay() {
    local host=$1
    shift
    if [ "$host" != - ]; then
        unshare -u -- bash -c 'hostname "$1"; shift; exec python3 -c "$REPLAY_PY" "$@"' _ "$host" "$@"
    else
        python3 -c "$REPLAY_PY" "$@"
    fi
}
REPLAY_PY=$(cat <<'PYEOF'
import re, subprocess, sys, time
args, fixture, renumber = sys.argv[1].split(), sys.argv[2], int(sys.argv[3])
limit = int(sys.argv[4]) if len(sys.argv) > 4 else None
ips = ["198.51.100.7", "198.51.100.9", "203.0.113.25", "203.0.113.40", "192.0.2.14", "192.0.2.33"]
def renumbered(text):
    if not renumber:
        return text
    for ip in ips:
        head, last = ip.rsplit(".", 1)
        text = re.sub(r"(?<![\d.])" + re.escape(ip) + r"(?![\d])", "%s.%d" % (head, int(last) + renumber), text)
    return text.replace("vps1.example.org", "vps%d.example.org" % (1 + renumber // 100))
envelope = re.compile(r"^(?:\w{3} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?|\d{4}-\S+) \S+ ([^\s\[]+)\[(\d+)\]: (.*)$")
with open(fixture) as f:
    lines = f.read().splitlines()[:limit]
for line in lines:
    m = envelope.match(line)
    if not m:
        sys.exit("not a syslog line: " + line)
    prog, pid, msg = m.groups()
    subprocess.run(["logger", "--size", "16384", "-p", "mail.info", "-t", renumbered(prog), "--id=" + pid]
                   + args + ["--", renumbered(msg)], check=True)
    time.sleep(0.08)
PYEOF
)
export REPLAY_PY

FIX="$REPO/tests/fixtures/postfix"
replay vps1 "--udp --server 127.0.0.1 --port 514 --rfc3164" "$FIX/rsyslog-traditional.log" 0 &
p1=$!
replay vps2.example.net "--tcp --server 127.0.0.1 --port 514 --rfc5424" "$FIX/multi-instance.log" 100 &
p2=$!
replay VPS3 "--socket $WORK/vps3.sock --rfc5424" "$FIX/maillog-file.log" 200 &
p3=$!
replay vps9 "--udp --server 127.0.0.1 --port 514 --rfc3164" "$FIX/rsyslog-rfc3339.log" 0 40 &
p4=$!
wait $p1 $p2 $p3 $p4
sleep 2
capture_stop_all

collect() { mkdir -p "$(dirname "$OUT/$2")"; capture_collect "$1" "$2"; }
collect /var/log/central/mail.log central/mail.log
collect /var/log/central-rfc3339/mail.log central-rfc3339/mail.log
for d in /var/log/remote/*/; do
    h=$(basename "$d")
    collect "$d/mail.log" "remote/$h/mail.log"
done
capture_faketime_env ""
rsyslogd -v | head -1 >&2
logger --version >&2
