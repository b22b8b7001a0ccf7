#!/usr/bin/env bash
# The Linux installers: a .deb and an .rpm from Tauri's bundler, with paks-desk-cli, the
# extraction worker and the AppStream metainfo beside the app. Called by build-installers.sh.
#   linux.sh           release builds -> dist/
#   linux.sh --debug   debug builds   -> dist/debug/
# No AppImage: Tauri's AppImage step downloads linuxdeploy from GitHub, outside the registries.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

profile=release cargo_profile=(--release) tauri_profile=() out="$root/dist"
if [ "${1:-}" = --debug ]; then
  profile=debug cargo_profile=() tauri_profile=(--debug) out="$root/dist/debug"
fi
target_dir="${CARGO_TARGET_DIR:-$root/target}"
version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' src-tauri/tauri.conf.json)"
[ -n "$version" ] || { echo "no version in src-tauri/tauri.conf.json" >&2; exit 1; }
mkdir -p "$out"

echo "==> cargo build ($profile): paks-desk-cli, paks-desk-extract-worker"
cargo build --locked "${cargo_profile[@]}" -p desk-cli --bin paks-desk-cli \
  -p desk-extract --bin paks-desk-extract-worker

# The binaries' place depends on the target folder, so their entries are added here rather than
# in tauri.conf.json (merged as a JSON merge patch over its bundle.linux.*.files).
bin="$target_dir/$profile"
files="{\"/usr/bin/paks-desk-cli\": \"$bin/paks-desk-cli\",
  \"/usr/bin/paks-desk-extract-worker\": \"$bin/paks-desk-extract-worker\"}"
extra_config="{\"bundle\": {\"linux\": {\"deb\": {\"files\": $files}, \"rpm\": {\"files\": $files}}}}"

echo "==> tauri build ($profile): deb, rpm"
ui/node_modules/.bin/tauri build --ci "${tauri_profile[@]}" --bundles deb,rpm --config "$extra_config"

deb="$target_dir/$profile/bundle/deb/PAKS Desk_${version}_amd64.deb"
rpm="$target_dir/$profile/bundle/rpm/PAKS Desk-${version}-1.x86_64.rpm"
cp "$deb" "$out/paks-desk_${version}_amd64.deb"
cp "$rpm" "$out/paks-desk-${version}-1.x86_64.rpm"
