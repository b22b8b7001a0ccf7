#!/usr/bin/env bash
# Installs what PAKS Desk needs on Debian 12 that the machine lacks. Idempotent.
#   setup-debian.sh app   -> build and run the app (Tauri's WebKitGTK stack, Node packages)
#   setup-debian.sh test  -> also what the tests need (Xvfb, WebKitWebDriver, tauri-driver, tools)
#   setup-debian.sh windows -> the Windows cross build and installer (mingw-w64, nsis, wine, Rust target)
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
# Installers (issue 16, Linux): appstreamcli and desktop-file-validate check the .deb.
test_packages+=(appstream desktop-file-utils)
# i18n: Noto fonts for the focal points' scripts (Lao, Khmer, Myanmar, Thai, Devanagari, Bengali,
# Tibetan in fonts-noto-core; Chinese in fonts-noto-cjk), so the e2e screenshots show no tofu.
test_packages+=(fonts-noto-core fonts-noto-cjk)
# Publications (issue 20, docs/publications.md): the tests read PDFs back with pdftotext
# (poppler-utils, above) and DOCX with LibreOffice Writer (above); PDFs take Chinese from
# fonts-noto-cjk (above), which a server building proceedings needs too.
# --- server beyond one machine (paks-server tests/beyond_one_machine.rs) ---
# PostgreSQL 15 and nginx (TLS in front of two instances); the tests start their own.
test_packages+=(postgresql-15 nginx-light openssl)
# --- end server beyond one machine ---
# --- library screen (tests/e2e/tests/library.rs) ---
# The app opens a published file through xdg-open; the test names a viewer for its type.
test_packages+=(xdg-utils)
# --- end library screen ---
# --- reviewers' console (crates/desk-cli/tests/console_browser.rs) ---
# Headless Chromium driven over WebDriver by chromedriver.
test_packages+=(chromium chromium-driver)
# --- end reviewers' console ---
# --- OCR (issue 21, docs/extraction.md) ---
# The extraction worker runs tesseract on scanned pages (rendered by poppler's pdftoppm) and
# pictures, in the region's scripts. The tests render their scans with pango-view and
# Debian's fonts and make image-only PDFs with img2pdf.
app_packages+=(tesseract-ocr poppler-utils)
for lang in eng fra rus chi-sim chi-tra lao khm tha mya nep ben dzo mon; do
  app_packages+=("tesseract-ocr-$lang")
done
test_packages+=(img2pdf pango1.0-tools) # and the Noto fonts above
# Issue 19: xml.xsd for the OAI-PMH schema check (see the oai-venv step below).
test_packages+=(docbook5-xml)
# --- end OCR ---
# Windows (issue 16): the cross build (mingw-w64), its installer (nsis) and its test under Wine
# (scripts/installers/test-windows-wine.sh, which also needs bagit.py, below). Not in test mode:
# the cross build takes too long for CI's budget (README, "Windows").
[ "$mode" = windows ] && app_packages+=(mingw-w64 nsis wine wine64)

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

if [ "$mode" = windows ] && command -v rustup >/dev/null \
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
# --- server beyond one machine: s3s-fs, the S3 store the two-instance tests run against ---
if [ "$mode" = test ] && ! command -v s3s-fs >/dev/null; then
  # 0.14.1: the newest that builds with the workspace's Rust 1.95.
  echo "==> cargo install s3s-fs 0.14.1"
  cargo install s3s-fs --version 0.14.1 --features binary --locked
fi
# --- end server beyond one machine ---
# --- reviewers' console (crates/desk-cli/tests/console_browser.rs) ---
# Headless Chromium driven over WebDriver by chromedriver.
test_packages+=(chromium chromium-driver)
# --- end reviewers' console ---
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

if { [ "$mode" = test ] || [ "$mode" = windows ]; } && [ ! -x "$root/target/bagit-venv/bin/bagit.py" ]; then
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

# Issue 19 (OAI-PMH): a real harvester (pyoai, PyPI) and lxml in target/oai-venv, and the XML
# schemas its responses are validated against, from packages: OAI-PMH.xsd ships in pyoai's
# source distribution (tests), oai_dc.xsd and simpledc20021212.xsd in NIST's
# core-oaipmh-provider-app, xml.xsd in Debian's docbook5-xml.
# lxml 4.9: pyoai 2.5 calls XPathElementEvaluator.evaluate, which lxml 5 removed.
if [ "$mode" = test ] && [ ! -f "$root/target/oai-venv/schemas/OAI-PMH.xsd" ]; then
  dpkg-query -W -f='${Status}' docbook5-xml 2>/dev/null | grep -q "install ok installed" || {
    "${sudo_cmd[@]}" apt-get update -q -o DPkg::Lock::Timeout=600
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
      -o DPkg::Lock::Timeout=600 docbook5-xml
  }
  echo "==> pyoai 2.5.0 and lxml (PyPI) in target/oai-venv, OAI-PMH and Dublin Core schemas"
  venv="$root/target/oai-venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check pyoai==2.5.0 lxml==4.9.4
  sdists="$(mktemp -d)"
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    -d "$sdists" pyoai==2.5.0 core-oaipmh-provider-app==2.23.0
  mkdir -p "$venv/schemas.tmp"
  tar -xzf "$sdists/pyoai-2.5.0.tar.gz" -O pyoai-2.5.0/src/oaipmh/tests/OAI-PMH.xsd \
    > "$venv/schemas.tmp/OAI-PMH.xsd"
  for f in oai_dc.xsd simpledc20021212.xsd; do
    tar -xzf "$sdists/core_oaipmh_provider_app-2.23.0.tar.gz" -O \
      "core_oaipmh_provider_app-2.23.0/core_oaipmh_provider_app/static/core_oaipmh_provider_app/xsd/$f" \
      > "$venv/schemas.tmp/$f"
  done
  cp /usr/share/xml/docbook/schema/xsd/5.0/xml.xsd "$venv/schemas.tmp/xml.xsd"
  rm -rf "$sdists" "$venv/schemas"
  mv "$venv/schemas.tmp" "$venv/schemas"
fi
