#!/usr/bin/env bash
# Build the Debian package: the stripped binary, a man page per subcommand, bash/zsh/fish
# completions, the systemd units and sysusers entry from packaging/, and
# /etc/blockscope/blockscope.toml as a conffile.
#
#   scripts/package-deb.sh            prints the path of the .deb it wrote
#
# cargo-deb comes from the registry the first time and is kept in
# $HOME/.cache/blockscope-tools (outside the clone, like the build cache).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/blockscope-target}
tools=${BLOCKSCOPE_TOOLS:-$HOME/.cache/blockscope-tools}
cargo_deb_version=3.8.0
if ! "$tools/bin/cargo-deb" --version 2>/dev/null | grep -q "$cargo_deb_version"; then
    cargo install --quiet --locked --root "$tools" --version "$cargo_deb_version" cargo-deb >&2
fi

cargo build --release --locked --quiet
bin=$CARGO_TARGET_DIR/release/blockscope
pkg=$CARGO_TARGET_DIR/release/pkg
rm -rf "$pkg"
mkdir -p "$pkg/man" "$pkg/completions"
"$bin" man --out-dir "$pkg/man"
gzip -9n "$pkg"/man/*.1
"$bin" completions bash > "$pkg/completions/blockscope"
"$bin" completions zsh > "$pkg/completions/_blockscope"
"$bin" completions fish > "$pkg/completions/blockscope.fish"

# --no-build: the release build above is the one packaged (cargo-deb strips it).
"$tools/bin/cargo-deb" --no-build --locked --quiet --output "$CARGO_TARGET_DIR/debian/" | tail -1
