#!/bin/sh
# SPDX-License-Identifier: MIT
# rust.sh -- the Rust example of README.md with Debian's rusqlite
# (librust-rusqlite-dev), built offline by cargo from Debian's vendored
# crates (/usr/share/cargo/registry), run from another directory.
NAME=rust.sh
. "$(dirname "$0")/helpers/client.sh"
REG=/usr/share/cargo/registry
ls -d $REG/rusqlite-* >/dev/null 2>&1 || skip_all "no rusqlite crate (Debian: librust-rusqlite-dev)"
# Debian's cargo, or one from rustup that works offline with the same
# source replacement.
CARGO=
for c in /usr/bin/cargo $(command -v cargo); do
  [ -x "$c" ] && CARGO=$c && break
done
[ -n "$CARGO" ] || skip_all "no cargo (Debian: cargo)"
RUSQLITE=$(ls -d $REG/rusqlite-* | sed 's|.*/rusqlite-||' | sort -V | tail -1)

# The project: Cargo.toml, the offline source replacement, the README's
# main.rs.  The target directory stays in build/ so a second run is fast.
P=$TMP/example
mkdir -p "$P/src" "$P/.cargo"
cat > "$P/Cargo.toml" <<TOML
[package]
name = "tsm-example"
version = "0.1.0"
edition = "2021"

[dependencies]
rusqlite = { version = "$RUSQLITE", features = ["load_extension"] }
TOML
cat > "$P/.cargo/config.toml" <<TOML
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "$REG"

[net]
offline = true
TOML
snippet rust > "$P/src/main.rs"
export CARGO_TARGET_DIR="$ROOT/build/cargo-target"
build_or_finish "cargo build ($CARGO)" sh -c "cd '$P' && '$CARGO' build -q --offline"
mkdir -p "$TMP/run"
OUT=$(cd "$TMP/run" && "$CARGO_TARGET_DIR/debug/tsm-example" 2>&1)
check 1.0 "$OUT" '1767225600000 30 145
1767225900000 30 150'
check 1.1 "$(grep -c warning "$TMP/build.log")" 0
finish
