#!/usr/bin/env bash
# Checks a PAKS Desk .deb without installing it: every file in place, the AppStream metainfo
# valid (appstreamcli), the desktop entry valid, and Depends naming every package whose
# libraries the binaries link (dpkg-shlibdeps). Exits 1 naming what is wrong.
#   check-deb.sh dist/paks-desk_0.1.0_amd64.deb
set -euo pipefail
deb="${1:?usage: $0 PACKAGE.deb}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/root"
failed=0
fail() { echo "check-deb: $*" >&2; failed=1; }

for file in usr/bin/paks-desk usr/bin/paks-desk-cli usr/bin/paks-desk-extract-worker \
  "usr/share/applications/PAKS Desk.desktop" usr/share/metainfo/org.un-paks.desk.metainfo.xml; do
  [ -f "$work/root/$file" ] || fail "missing /$file"
done
for size in 16 24 32 48 64 128 256 512; do
  icon="$work/root/usr/share/icons/hicolor/${size}x${size}/apps/paks-desk.png"
  [ -f "$icon" ] || fail "missing the ${size}x${size} icon"
done
for bin in paks-desk paks-desk-cli paks-desk-extract-worker; do
  [ -x "$work/root/usr/bin/$bin" ] || fail "/usr/bin/$bin is not executable"
done

appstreamcli validate --no-net --pedantic \
  "$work/root/usr/share/metainfo/org.un-paks.desk.metainfo.xml" || fail "metainfo not valid"
desktop-file-validate "$work/root/usr/share/applications/PAKS Desk.desktop" ||
  fail "desktop entry not valid"

# dpkg-shlibdeps wants a source package around the binaries; a minimal one will do.
mkdir "$work/debian"
printf 'Source: paks-desk\n\nPackage: paks-desk\n' >"$work/debian/control"
needed="$(cd "$work" && dpkg-shlibdeps -O --warnings=0 root/usr/bin/paks-desk \
  root/usr/bin/paks-desk-cli root/usr/bin/paks-desk-extract-worker)"
needed="${needed#shlibs:Depends=}"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends:        $depends"
echo "dpkg-shlibdeps: $needed"
IFS=',' read -ra wanted <<<"$needed"
for entry in "${wanted[@]}"; do
  entry="$(echo "$entry" | sed 's/^ *//; s/ *$//')"
  name="${entry%% *}"
  grep -qE "(^|, *)$name( |,|$)" <<<"$depends" || fail "Depends lacks $entry"
done

[ "$failed" -eq 0 ] && echo "check-deb: $deb is complete"
exit "$failed"
