#!/usr/bin/env bash
# Sets up everything the tests need on Debian 12, then runs every check CI runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Incremental caches double target/ on a one-shot build; CI machines have little disk.
export CARGO_INCREMENTAL=0

step() { printf '\n==> %s\n' "$*"; }
results="$(mktemp)"
trap 'rm -f "$results"' EXIT

step "set-up"
df -h . | tail -1
scripts/setup-debian.sh test

step "format"
cargo fmt --all --check

step "dependency licences and bans (deny.toml; advisories need a database from outside the registries)"
cargo deny --log-level error check licenses bans

step "UI build (the desktop crate embeds ui/dist at compile time, so it comes first)"
(cd ui && npm run build)

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests (also regenerates the TypeScript bindings)"
cargo test --workspace --exclude paks-desk-e2e --locked --no-fail-fast 2>&1 | tee -a "$results"

step "TypeScript bindings are committed and up to date"
if [ -n "$(git status --porcelain -- ui/src/lib/bindings)" ]; then
  git status --porcelain -- ui/src/lib/bindings
  echo "The generated bindings differ from the committed ones: run 'cargo test' and commit ui/src/lib/bindings." >&2
  exit 1
fi

step "UI type check and unit tests"
(cd ui && npm run check && npm test)

step "desktop app and reference server builds (the end-to-end tests run both)"
cargo build -p paks-desk -p paks-server --locked

# Installers (issue 16, Linux): the .deb the end-to-end test installs, from debug builds.
step "Linux installers from debug builds (.deb, .rpm), checked: Depends, metainfo, files"
scripts/installers/linux.sh --debug
scripts/installers/check-deb.sh dist/debug/paks-desk_*_amd64.deb

step "end-to-end tests of the real app under Xvfb"
xvfb-run -a -s "-screen 0 1280x800x24" cargo test -p paks-desk-e2e --locked --tests -- --test-threads=1 \
  2>&1 | tee -a "$results"

echo
echo "All checks passed."
du -sh target 2>/dev/null || true
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "rust: %d passed, %d failed\n", passed, failed }' "$results"
