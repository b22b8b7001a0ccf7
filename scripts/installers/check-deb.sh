#!/usr/bin/env bash
# Checks a PAKS Desk .deb without installing it: every file in place, the AppStream metainfo
# valid (appstreamcli), the desktop entry valid, and Depends holding every package (and
# version) whose libraries the binaries link, as dpkg-shlibdeps names them. Exits 1 naming
# what is wrong.
#   check-deb.sh dist/paks-desk_0.1.0_amd64.deb
set -euo pipefail
deb="${1:?usage: $0 PACKAGE.deb}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Laid out as dpkg-shlibdeps expects a package being built: debian/control, debian/PACKAGE/.
root="$work/debian/paks-desk"
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"
printf 'Source: paks-desk\n\nPackage: paks-desk\nArchitecture: amd64\n' >"$work/debian/control"
failed=0
fail() { echo "check-deb: $*" >&2; failed=1; }

for file in usr/bin/paks-desk usr/bin/paks-desk-cli usr/bin/paks-desk-extract-worker \
  "usr/share/applications/PAKS Desk.desktop" usr/share/metainfo/org.un-paks.desk.metainfo.xml; do
  [ -f "$root/$file" ] || fail "missing /$file"
done
for size in 16 24 32 48 64 128 256 512; do
  icon="$root/usr/share/icons/hicolor/${size}x${size}/apps/paks-desk.png"
  [ -f "$icon" ] || fail "missing the ${size}x${size} icon"
done
for bin in paks-desk paks-desk-cli paks-desk-extract-worker; do
  [ -x "$root/usr/bin/$bin" ] || fail "/usr/bin/$bin is not executable"
done

appstreamcli validate --no-net --pedantic \
  "$root/usr/share/metainfo/org.un-paks.desk.metainfo.xml" || fail "metainfo not valid"
desktop-file-validate "$root/usr/share/applications/PAKS Desk.desktop" ||
  fail "desktop entry not valid"

needed="$(cd "$work" && dpkg-shlibdeps -O debian/paks-desk/usr/bin/paks-desk \
  debian/paks-desk/usr/bin/paks-desk-cli debian/paks-desk/usr/bin/paks-desk-extract-worker)"
needed="${needed#shlibs:Depends=}"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends:        $depends"
echo "dpkg-shlibdeps: $needed"
IFS=',' read -ra wanted <<<"$needed"
for entry in "${wanted[@]}"; do
  entry="$(echo "$entry" | sed 's/^ *//; s/ *$//')"
  # Versions too: a build against a newer library needs the newer package.
  grep -qF ", $entry," <<<", $depends," || fail "Depends lacks $entry"
done

[ "$failed" -eq 0 ] && echo "check-deb: $deb is complete"
exit "$failed"
