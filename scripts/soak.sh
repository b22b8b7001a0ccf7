#!/usr/bin/env bash
# The soak test of issue 14 — a harness, not a CI step. For MINUTES (default 30), 20 desks
# (paks-desk-cli data folders) write cases with real attachments and send them through a cutting
# proxy to one paks-server on 127.0.0.1, while the server is SIGKILLed and restarted, the desks'
# `sync` processes are SIGKILLed, and the server's disk (its own tmpfs) is filled and freed. Then
# a quiet phase, and the checks: every case at PAKS once, every file's SHA-256, no job stuck, no
# idempotency claim open, nothing in temp folders. Prints a table; exits 1 if a check fails.
#   scripts/soak.sh [MINUTES]
# Tuning: SOAK_SEED, SOAK_DESKS, SOAK_CASE_EVERY_S, ... (`target/release/paks-soak --help`).
# Root mounts the tmpfs; without root the disk fills are bounded and the report says so.
# Output: target/soak/run-SEED/ (report.md, logs/, the server's paks.sqlite3).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
minutes="${1:-${SOAK_MINUTES:-30}}"
target="${CARGO_TARGET_DIR:-$root/target}"

cargo build --release -p paks-server -p desk-cli -p paks-soak

work="$(mktemp -d /var/tmp/paks-soak.XXXXXX)"
cleanup() {
  # The harness unmounts and removes what it made, even on failure; this covers a harness that
  # was itself killed.
  findmnt -rn -o TARGET | grep -F "$work/" | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$target/release/paks-soak" --minutes "$minutes" --bin-dir "$target/release" \
  --out "$target/soak" --work "$work"
