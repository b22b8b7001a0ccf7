#!/usr/bin/env bash
# Installs what PAKS Desk needs on Debian 12 that the machine lacks. Idempotent.
#   setup-debian.sh app   -> build and run the app (Tauri's WebKitGTK stack, Node packages)
#   setup-debian.sh test  -> also what the tests need (Xvfb, WebKitWebDriver, tauri-driver, tools)
set -euo pipefail
mode="${1:-app}"
root="$(cd "$(dirname "$0")/.." && pwd)"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# libdbus-1-dev: the token goes to the Secret Service over libdbus (desk-sync's keyring).
app_packages=(libwebkit2gtk-4.1-dev build-essential pkg-config curl file libssl-dev
  librsvg2-dev libayatana-appindicator3-dev libdbus-1-dev nodejs npm)
# LibreOffice converts old binary .ppt/.doc for indexing; the extraction tests exercise it.
# dbus + gnome-keyring: a real Secret Service (on a private session bus) for the token tests.
test_packages=(xvfb xauth webkit2gtk-driver libreoffice-impress libreoffice-writer dbus
  gnome-keyring)
# Windows (issue 16): the cross build (mingw-w64), its installer (nsis) and the test under Wine.
test_packages+=(mingw-w64 nsis wine wine64)

packages=("${app_packages[@]}")
[ "$mode" = test ] && packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A machine that already has Node.js from elsewhere needs no Debian nodejs/npm.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=(); for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q -o DPkg::Lock::Timeout=600
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=600 "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  [ -x "$HOME/.cargo/bin/cargo" ] || {
    echo "==> installing Rust with rustup (https://rustup.rs)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
  }
  export PATH="$HOME/.cargo/bin:$PATH"
fi

if [ "$mode" = test ] && command -v rustup >/dev/null \
  && ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
  # Windows (issue 16): the Rust standard library for the cross build.
  echo "==> rustup target add x86_64-pc-windows-gnu"
  rustup target add x86_64-pc-windows-gnu
fi
if [ "$mode" = test ] && ! command -v tauri-driver >/dev/null; then
  # crates.io's newest tauri-driver is a 3.0 alpha; the Tauri 2 app is driven by 2.x.
  echo "==> cargo install tauri-driver 2.x"
  cargo install tauri-driver --version '^2' --locked
fi
if [ "$mode" = test ] && ! command -v cargo-deny >/dev/null; then
  # Licence and ban checks of the dependency tree (deny.toml); ~4 min to build on 2 cores.
  echo "==> cargo install cargo-deny"
  cargo install cargo-deny --version '^0.20' --locked
fi

echo "==> npm ci (ui)"
(cd "$root/ui" && npm ci --no-audit --no-fund)
if [ "$mode" = test ]; then
  # Node packages of the tests (tus-js-client, @tus/server, OpenAPI validator, axe-core).
  (cd "$root" && git ls-files '*package-lock.json' | grep -v '^ui/') | while read -r lock; do
    dir="$(dirname "$lock")"
    echo "==> npm ci ($dir)"
    (cd "$root/$dir" && npm ci --no-audit --no-fund)
  done
fi

if [ "$mode" = test ] && [ ! -x "$root/target/bagit-venv/bin/bagit.py" ]; then
  # The Library of Congress BagIt tool: the hand-carry tests hold our bags against it.
  command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null || {
    "${sudo_cmd[@]}" apt-get update -q -o DPkg::Lock::Timeout=600
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
      -o DPkg::Lock::Timeout=600 python3 python3-venv
  }
  echo "==> bagit 1.8.1 (PyPI) in target/bagit-venv"
  python3 -m venv "$root/target/bagit-venv"
  "$root/target/bagit-venv/bin/pip" install --quiet --disable-pip-version-check bagit==1.8.1
fi
