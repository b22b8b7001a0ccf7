#!/usr/bin/env bash
# Builds every installer this machine can make and puts it in dist/ (README, "Installers").
#   scripts/build-installers.sh           release builds -> dist/
#   scripts/build-installers.sh --debug   debug builds (what the tests install) -> dist/debug/
# Each platform has its own script in scripts/installers/, called with the same arguments.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

mode=release
case "${1:-}" in
  "") ;;
  --debug) mode=debug ;;
  *) echo "usage: $0 [--debug]" >&2; exit 2 ;;
esac
out="$root/dist"
[ "$mode" = debug ] && out="$root/dist/debug"
mkdir -p "$out"

[ -x ui/node_modules/.bin/tauri ] || (cd ui && npm ci --no-audit --no-fund)

made=()
started=$SECONDS
scripts/installers/linux.sh "$@"
made+=("linux: $((SECONDS - started)) s")
if [ -x scripts/installers/windows.sh ]; then
  started=$SECONDS
  scripts/installers/windows.sh "$@"
  made+=("windows: $((SECONDS - started)) s")
fi

echo
echo "==> installers in ${out#"$root"/} (${made[*]})"
find "$out" -maxdepth 1 -type f ! -name '.*' -printf '%f\n' | sort | while read -r name; do
  printf '%-44s %10s bytes  sha256 %s\n' "$name" "$(stat -c %s "$out/$name")" \
    "$(sha256sum "$out/$name" | cut -d' ' -f1)"
done
