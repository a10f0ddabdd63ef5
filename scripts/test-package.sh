#!/usr/bin/env bash
# The Debian package, tested as an operator would meet it (issue 20):
#
#  1. scripts/package-deb.sh builds it; `dpkg-deb --contents` holds every part: the binary, a
#     man page per subcommand, bash/zsh/fish completions, the units, the sysusers entry, and
#     /etc/blockscope/blockscope.toml as a conffile.
#  2. It installs (`dpkg --root`, into an empty directory: the machine's own dpkg database and
#     users are not touched); its postinst creates the blockscope user there.
#  3. `systemd-analyze verify` accepts the installed units, warnings included.
#  4. In a chroot of that root: the packaged config fails `check-config` while /srv/maillogs is
#     empty, passes it once the sample fleet is collected there, and the timer's unit
#     (blockscope.service) runs its ExecStart as the blockscope user: the sample job writes its
#     reports and state. blockscope-mail.service's ExecStart then mails the summary through a
#     stand-in sendmail.
#
#   scripts/test-package.sh
#
# Steps 2-4 need root (dpkg --root installs owned files, chroot); without it they are skipped
# with a message. KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/blockscope-target}

fail() { echo "test-package.sh: FAIL: $*" >&2; exit 1; }
say() { echo "test-package.sh: $*"; }

deb=$(bash scripts/package-deb.sh)
[ -f "$deb" ] || fail "package-deb.sh printed '$deb', not a .deb"
bin=$CARGO_TARGET_DIR/release/blockscope

# --- 1. contents ---------------------------------------------------------------------------
contents=$(dpkg-deb --contents "$deb" | awk '{print $NF}' | sed 's|^\./|/|')
has() { grep -qx -- "$1" <<<"$contents" || fail "the package lacks $1"; }
has /usr/bin/blockscope
has /etc/blockscope/blockscope.toml
has /usr/lib/systemd/system/blockscope.service
has /usr/lib/systemd/system/blockscope.timer
has /usr/lib/systemd/system/blockscope-mail.service
has /usr/lib/sysusers.d/blockscope.conf
has /usr/share/bash-completion/completions/blockscope
has /usr/share/zsh/vendor-completions/_blockscope
has /usr/share/fish/vendor_completions.d/blockscope.fish
has /usr/share/doc/blockscope/operations.md
has /usr/share/doc/blockscope/examples/nightly-inputs.conf
has /usr/share/man/man1/blockscope.1.gz
# Every subcommand `blockscope --help` lists has its page.
subcommands=$("$bin" --help | awk '/^Commands:/{on=1; next} on && /^ *$/{exit} on && /^  [a-z]/ {print $1}' | grep -vx help)
[ "$(wc -l <<<"$subcommands")" -ge 10 ] || fail "--help lists only: $subcommands"
for sub in $subcommands; do has "/usr/share/man/man1/blockscope-$sub.1.gz"; done
[ "$(grep -c 'systemd/system/blockscope' <<<"$contents")" = 3 ] || fail "units other than the three: $(grep systemd <<<"$contents")"
dpkg-deb --info "$deb" conffiles | grep -qx /etc/blockscope/blockscope.toml || fail "blockscope.toml is not a conffile"
packaged_bin=$(mktemp)
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/bin/blockscope > "$packaged_bin"
# Stripped: no symbol table left (readelf comes with binutils, which cargo-deb strips with).
if readelf -S "$packaged_bin" | grep -q '\.symtab'; then rm -f "$packaged_bin"; fail "the binary is not stripped"; fi
rm -f "$packaged_bin"
say "contents: binary (stripped), $(wc -l <<<"$subcommands") subcommand man pages, completions, units, sysusers, conffile"

if [ "$(id -u)" != 0 ]; then
    say "skipped the install, verify and chroot run: they need root (dpkg --root, chroot)"
    exit 0
fi

# --- 2. install ----------------------------------------------------------------------------
work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then say "work directory $work"; else trap 'rm -rf "$work"' EXIT; fi
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
# --force-depends: the empty root has no libc6 package (the chroot below gets the host's libs);
# --force-script-chrootless: the maintainer scripts run with DPKG_ROOT, as for a bootstrap.
dpkg --root="$root" --force-depends --force-script-chrootless --log=/dev/null -i "$deb" >"$work/dpkg.log" 2>&1 \
    || { cat "$work/dpkg.log" >&2; fail "dpkg -i failed"; }
uid=$(awk -F: '$1 == "blockscope" {print $3}' "$root/etc/passwd")
gid=$(awk -F: '$1 == "blockscope" {print $4}' "$root/etc/passwd")
[ -n "$uid" ] || fail "postinst did not create the blockscope user (systemd-sysusers)"
say "installed into $root; postinst created user blockscope ($uid:$gid)"

# --- 3. systemd-analyze verify ---------------------------------------------------------------
units=$root/usr/lib/systemd/system
# The targets the units name (timers.target, network-online.target) come from the host.
cp -rn /usr/lib/systemd/system/. "$units/" 2>/dev/null || true
verify() {
    local out
    out=$(cd "$work" && MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" "$@" 2>&1) \
        || fail "systemd-analyze verify: $out"
    [ -z "$out" ] || fail "systemd-analyze verify warns: $out"
}
verify blockscope.service blockscope.timer blockscope-mail.service
# With the documented drop-in (the collection and the SNDS download before the run).
dropin=$root/etc/systemd/system/blockscope.service.d
mkdir -p "$dropin" "$root/usr/local/sbin"
cp "$root/usr/share/doc/blockscope/examples/nightly-inputs.conf" "$dropin/"
printf '#!/bin/sh\n' > "$root/usr/local/sbin/collect-maillogs"
chmod 755 "$root/usr/local/sbin/collect-maillogs"
verify blockscope.service
rm -r "$dropin"
say "systemd-analyze verify: the three units are clean, and the service with the example drop-in"

# --- 4. the sample job in a chroot, as the unit runs it --------------------------------------
for lib in $(ldd "$root/usr/bin/blockscope" /bin/sh | awk '$3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
mkdir -p "$root/bin" "$root/dev"
cp -L /bin/sh "$root/bin/sh"
mknod -m 666 "$root/dev/null" c 1 3
in_root() { chroot --userspec="$uid:$gid" "$root" "$@"; }
exec_start() { sed -n 's/^ExecStart=//p' "$units/$1"; }
service_start=$(exec_start blockscope.service)
[ "$service_start" = "/usr/bin/blockscope run --config /etc/blockscope/blockscope.toml" ] \
    || fail "unexpected ExecStart: $service_start"

# What the operator does after installing (README, "Your own fleet in 15 minutes"): the
# inventory (here: the NetBox example converted, checked, then the sample fleet's own), the logs.
cp sample-data/import/netbox-ip-addresses.csv "$root/etc/blockscope/netbox.csv"
chroot "$root" /usr/bin/blockscope inventory import --format netbox /etc/blockscope/netbox.csv \
    --out /etc/blockscope/inventory.csv -q || fail "inventory import of the NetBox example"
chroot "$root" /usr/bin/blockscope check-config --inventory /etc/blockscope/inventory.csv >/dev/null \
    || fail "check-config of the imported inventory"
cp sample-data/inventory.csv "$root/etc/blockscope/inventory.csv"
chmod 644 "$root/etc/blockscope/inventory.csv"
mkdir -p "$root/srv/maillogs"
if out=$(in_root /usr/bin/blockscope check-config --config /etc/blockscope/blockscope.toml 2>&1); then
    fail "check-config passed with an empty /srv/maillogs: $out"
fi
grep -q "no VPS directories" <<<"$out" || fail "check-config with an empty /srv/maillogs: $out"
say "check-config refuses the packaged config before the logs are collected: $out"
cp -a sample-data/logs/. "$root/srv/maillogs/"
mkdir -p "$root/var/lib/blockscope/snds"
cp -a sample-data/snds/. "$root/var/lib/blockscope/snds/"
sed -i 's|^# snds = "/var/lib/blockscope/snds"|snds = "/var/lib/blockscope/snds"|' "$root/etc/blockscope/blockscope.toml"
# What StateDirectory=blockscope, StateDirectoryMode=0750 make before ExecStart.
chown -R "$uid:$gid" "$root/var/lib/blockscope"
chmod 0750 "$root/var/lib/blockscope"
chmod -R a+rX "$root/srv/maillogs" "$root/etc/blockscope"
in_root /usr/bin/blockscope check-config --config /etc/blockscope/blockscope.toml >"$work/check.txt" 2>&1 \
    || { cat "$work/check.txt" >&2; fail "check-config of the packaged config with the sample fleet"; }
grep -q "31 VPS directories" "$work/check.txt" || fail "check-config: $(cat "$work/check.txt")"

# shellcheck disable=SC2086 # ExecStart is a command line, split as systemd splits this one.
rc=0; in_root $service_start -q || rc=$?
case $rc in 0|3) ;; *) fail "the unit's ExecStart exited $rc (SuccessExitStatus allows 0 and 3)" ;; esac
reports=$root/var/lib/blockscope/reports
[ -s "$reports/summary/summary.md" ] && [ -s "$reports/summary/summary.html" ] || fail "no summary in $reports"
[ -n "$(ls "$reports/customers")" ] || fail "no customer reports"
[ -s "$root/var/lib/blockscope/state/state.json" ] || fail "no state after the nightly run"
grep -q "neighbourhood block" "$reports/summary/summary.md" || fail "summary.md: $(head -5 "$reports/summary/summary.md")"
say "blockscope.service's ExecStart ran the sample job (exit $rc): $(ls "$reports/customers" | wc -l) customer files, state saved"

# blockscope-mail.service: nothing without mail_to; the summary through sendmail with it.
mail_start=$(exec_start blockscope-mail.service)
# shellcheck disable=SC2086
in_root $mail_start 2>&1 | grep -q "nothing mailed" || fail "blockscope-mail.service without mail_to"
# A stand-in for the MTA's sendmail, shell builtins only (the chroot has /bin/sh and no more).
mkdir -p "$root/usr/sbin"
printf '#!/bin/sh\n{ echo "$*"; while IFS= read -r line; do printf "%%s\\n" "$line"; done; } > /var/lib/blockscope/sent-mail\n' \
    > "$root/usr/sbin/sendmail"
chmod 755 "$root/usr/sbin/sendmail"
echo 'mail_to = ["noc@provider.example"]' > "$work/mail.toml"
cat "$root/etc/blockscope/blockscope.toml" >> "$work/mail.toml"
cp "$work/mail.toml" "$root/etc/blockscope/blockscope.toml"
# shellcheck disable=SC2086
in_root $mail_start -q || fail "blockscope-mail.service's ExecStart failed"
sent=$root/var/lib/blockscope/sent-mail
[ "$(head -1 "$sent")" = "-t -i" ] || fail "sendmail arguments: $(head -1 "$sent")"
grep -q "^To: noc@provider.example$" "$sent" && grep -q "^Subject: blockscope .*neighbourhood block" "$sent" \
    && grep -q 'filename="summary.html"' "$sent" || fail "the mail: $(head -12 "$sent")"
say "blockscope-mail.service's ExecStart mailed the summary: $(grep '^Subject:' "$sent")"
say "OK"
