#!/usr/bin/env bash
# Cross-compiles PAKS Desk for 64-bit Windows (x86_64-pc-windows-gnu, Debian's mingw-w64) and makes
# its installer with Debian's makensis from packaging/windows/paks-desk.nsi, into dist/.
#   scripts/installers/windows.sh           release build: dist/paks-desk_VERSION_x64-setup.exe
#   scripts/installers/windows.sh --debug   debug build (what the tests install): …_x64-debug-setup.exe
# Tauri's own NSIS bundler is not used: it downloads a helper DLL from outside the package registries.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

profile=release
case "${1:-}" in
  "") ;;
  --debug) profile=debug ;;
  *) echo "usage: $0 [--debug]" >&2; exit 2 ;;
esac
target=x86_64-pc-windows-gnu
target_dir="${CARGO_TARGET_DIR:-$root/target}"
for tool in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-strip makensis; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: scripts/setup-debian.sh test installs it" >&2; exit 2; }
done
rustup target list --installed 2>/dev/null | grep -qx "$target" || {
  echo "the Rust target $target is missing: rustup target add $target" >&2; exit 2; }

version="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' src-tauri/tauri.conf.json)"

# The app embeds ui/dist at compile time (custom-protocol, its default feature).
[ -d ui/node_modules ] || (cd ui && npm ci --no-audit --no-fund)
(cd ui && npm run build >/dev/null)

cargo_profile=()
[ "$profile" = release ] && cargo_profile=(--release)
cargo build --locked --target "$target" "${cargo_profile[@]}" \
  -p paks-desk -p desk-cli -p desk-extract \
  --bin paks-desk --bin paks-desk-cli --bin paks-desk-extract-worker

bin_dir="$target_dir/$target/$profile"
# The gnu target links WebView2Loader.dll dynamically (webview2-com-sys links the static loader
# only for msvc); the crate ships the DLL and its build script copies it into its OUT_DIR.
loader="$(ls -t "$bin_dir"/build/webview2-com-sys-*/out/x64/WebView2Loader.dll | head -1)"

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
for exe in paks-desk paks-desk-cli paks-desk-extract-worker; do
  # Symbols and line tables would triple the download; panics still name their message.
  x86_64-w64-mingw32-strip -o "$staging/$exe.exe" "$bin_dir/$exe.exe"
done
cp "$loader" "$staging/WebView2Loader.dll"

mkdir -p dist
suffix=""
[ "$profile" = debug ] && suffix="-debug"
out="dist/paks-desk_${version}_x64${suffix}-setup.exe"
makensis -V2 -WX -INPUTCHARSET UTF8 \
  -DVERSION="$version" -DBIN_DIR="$staging" -DOUT_FILE="$root/$out" \
  -DICON="$root/assets/icons/icon.ico" packaging/windows/paks-desk.nsi
printf '%s  %s bytes  sha256 %s\n' "$out" "$(stat -c %s "$out")" "$(sha256sum "$out" | cut -d' ' -f1)"
