#!/usr/bin/env bash
# The Windows installer and paks-desk-cli.exe under Wine (issue 16), in a throwaway Wine prefix
# whose Windows user is named ສົມພອນ:
#   scripts/installers/test-windows-wine.sh [INSTALLER]
# INSTALLER defaults to dist/paks-desk_VERSION_x64-debug-setup.exe (made by
# `scripts/installers/windows.sh --debug` when missing). The native paks-server is
# $CARGO_TARGET_DIR/debug/paks-server (built when missing). Exits non-zero at the first step whose
# output is not what it should be, saying which.
#
# Wine 8.0 (Debian 12) lacks bcryptprimitives.dll, which every Windows 10 and 11 has and Rust's
# standard library needs; the prefix gets a stand-in built from tests/wine/bcryptprimitives/.
# It is never part of the installer.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

for tool in wine wineboot wineserver x86_64-w64-mingw32-gcc python3; do
  command -v "$tool" >/dev/null || {
    echo "$tool is missing: scripts/setup-debian.sh windows installs it" >&2; exit 2; }
done
bagit_py="${PAKS_BAGIT_PY:-$root/target/bagit-venv/bin/bagit.py}"
[ -x "$bagit_py" ] || bagit_py="$(command -v bagit.py || true)"
[ -n "$bagit_py" ] || {
  echo "bagit.py is missing: scripts/setup-debian.sh windows installs it in target/bagit-venv" >&2
  exit 2; }

version="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' src-tauri/tauri.conf.json)"
installer="${1:-dist/paks-desk_${version}_x64-debug-setup.exe}"
[ -f "$installer" ] || scripts/installers/windows.sh --debug
installer="$(realpath "$installer")"
server_bin="$target_dir/debug/paks-server"
[ -x "$server_bin" ] || cargo build --locked -p paks-server
fixtures="$root/crates/desk-extract/tests/fixtures"

work="$(mktemp -d)"
server_pid=""
export WINEPREFIX="$work/prefix" WINEARCH=win64 WINEDEBUG=-all
# No Mono or Gecko: nothing here needs them, and Wine would offer to download them.
export WINEDLLOVERRIDES="mscoree,mshtml="
# Wine turns the Unix user name into the Windows one and decodes arguments in the locale's charset.
export USER="ສົມພອນ" LANG=C.UTF-8 LC_ALL=C.UTF-8
unset DISPLAY WAYLAND_DISPLAY PAKS_DESK_DATA_DIR PAKS_TOKEN PAKS_DESK_KEYRING
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  timeout 30 wineserver -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

started=$SECONDS
step() { printf '\n==> [%3ds] %s\n' "$((SECONDS - started))" "$*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
# Waits until the shell condition holds, at most $1 seconds.
wait_for() {
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  until eval "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}
# Its standard output must contain each further argument.
expect() {
  local out=$1; shift
  for want in "$@"; do
    grep -qF -- "$want" <<<"$out" || fail "expected «$want» in:
$out"
  done
}
# A JSON value of Python expression $2 over the document $1 (named j).
json() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

step "a Wine prefix whose Windows user is $USER"
timeout 300 wineboot -i >/dev/null 2>&1 || fail "wineboot did not set up the prefix"
timeout 120 wineserver -w
drive_c="$WINEPREFIX/drive_c"
home="$drive_c/users/$USER"
[ -d "$home" ] || fail "no Windows profile folder $home: $(ls "$drive_c/users")"

step "bcryptprimitives.dll for Wine (tests/wine/bcryptprimitives; real Windows has its own)"
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$drive_c/windows/system32/bcryptprimitives.dll" \
  tests/wine/bcryptprimitives/bcryptprimitives.c tests/wine/bcryptprimitives/bcryptprimitives.def \
  -ladvapi32

step "per-user silent install: $(basename "$installer") /S"
timeout 300 wine "$installer" /S || fail "the installer exited $?"
timeout 120 wineserver -w
program_dir="$home/AppData/Local/Programs/PAKS Desk"
installed=(paks-desk.exe paks-desk-cli.exe paks-desk-extract-worker.exe WebView2Loader.dll uninstall.exe)
for f in "${installed[@]}"; do
  [ -s "$program_dir/$f" ] || fail "$f is not in $program_dir: $(ls "$program_dir" 2>&1)"
done
start_menu="$home/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/PAKS Desk.lnk"
[ -f "$start_menu" ] || fail "no Start-menu shortcut"
uninstall_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\org.un-paks.desk'
expect "$(wine reg query "$uninstall_key" /v QuietUninstallString)" "/CurrentUser /S"
echo "installed: ${installed[*]}; Start-menu shortcut; $uninstall_key"

win_home="C:\\users\\$USER"
cli_exe="$win_home\\AppData\\Local\\Programs\\PAKS Desk\\paks-desk-cli.exe"
cli_out="$work/cli.out"
cli_err="$work/cli.err"
# Runs the installed paks-desk-cli.exe (default data folder); prints its output, fails on an error.
cli() {
  local code=0
  timeout 300 wine "$cli_exe" "$@" >"$cli_out" 2>"$cli_err" || code=$?
  [ "$code" -eq 0 ] || fail "paks-desk-cli $* exited $code:
$(cat "$cli_out" "$cli_err")"
  tr -d '\r' <"$cli_out"
}

step "a native paks-server on 127.0.0.1 and a focal point's token"
server_data="$work/paks-data"
token="$("$server_bin" --data "$server_data" focal-point add --country LAO --name "ສົມພອນ" \
  --email somphone@mtc.gov.la 2>>"$work/server.log" | tail -n 1)"
[ -n "$token" ] || fail "paks-server gave no token"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$server_bin" --data "$server_data" serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!
wait_for 60 'grep -q "listening on" "$work/server.log"' || fail "paks-server did not start: $(cat "$work/server.log")"

step "profile and a case in Lao, in the default data folder under %APPDATA%"
data_dir="$home/AppData/Roaming/un-paks/paks-desk/data"
cli profile set --name "ສົມພອນ ວົງສາ" --institution "ກະຊວງເຕັກໂນໂລຊີ ແລະ ການສື່ສານ" \
  --email somphone@mtc.gov.la --country LAO >/dev/null
case_title="ການສຳຫຼວດພົນລະເມືອງທາງອີເລັກໂທຣນິກ"
case_id="$(cli case new --title "$case_title" --country LAO | tr -d '[:space:]')"
[[ "$case_id" =~ ^[0-9]+$ ]] || fail "case new printed «$case_id», not a case id"
for field in "summary ສຳມະໂນປະຊາກອນອອນລາຍ." "problem ແບບຟອມເຈ້ຍ." \
  "solution ແອັບໃນແທັບເລັດ." "results ໄວຂຶ້ນສອງເທົ່າ."; do
  cli case set "$case_id" "${field%% *}" "${field#* }" >/dev/null
done
cli case link "$case_id" --mdg 8.F --note "ບໍລິການອອນລາຍ" >/dev/null
[ -f "$data_dir/paks-desk.sqlite3" ] || fail "no database in $data_dir: $(ls "$home/AppData/Roaming")"
expect "$(cli case list)" "$case_title"

step "attach a PPTX and a PDF from a Lao folder (read by the Windows extraction worker)"
lao_folder="ເອກະສານ ໂຄງການ"
mkdir -p "$home/Documents/$lao_folder"
cp "$fixtures/order_notes_scripts.pptx" "$home/Documents/$lao_folder/ບົດນຳສະເໜີ.pptx"
cp "$fixtures/three_pages.pdf" "$home/Documents/$lao_folder/ລາຍງານ.pdf"
out="$(cli attach "$case_id" "$win_home\\Documents\\$lao_folder\\ບົດນຳສະເໜີ.pptx")"
expect "$out" "Attached ບົດນຳສະເໜີ.pptx" "PowerPoint presentation" "Indexed: 3 slides"
echo "$out"
out="$(cli attach "$case_id" "$win_home\\Documents\\$lao_folder\\ລາຍງານ.pdf")"
expect "$out" "Attached ລາຍງານ.pdf" "Indexed: 3 pages"
echo "$out"

step "search a Lao word of slide 3 (ສະບາຍດີ) and an English one of page 3"
hits="$(cli search "ສະບາຍດີ" --json)"
[ "$(json "$hits" 'len(j)')" -ge 1 ] || fail "no hit for ສະບາຍດີ: $hits"
[ "$(json "$hits" 'j[0]["place"]["name"], j[0]["place"]["unit_label"], j[0]["place"]["unit"]')" \
  = "('ບົດນຳສະເໜີ.pptx', 'slide', 3)" ] || fail "ສະບາຍດີ is not found on slide 3: $hits"
hits="$(cli search "participation" --json)"
[ "$(json "$hits" 'j[0]["place"]["name"], j[0]["place"]["unit"]')" = "('ລາຍງານ.pdf', 3)" ] \
  || fail "participation is not found on page 3 of the PDF: $hits"
echo "ສະບາຍດີ: ບົດນຳສະເໜີ.pptx, slide 3; participation: ລາຍງານ.pdf, page 3"

step "connect to http://127.0.0.1:$port (the token in the Credential Manager)"
out="$(cli connect "http://127.0.0.1:$port" --token "$token")"
echo "$out"
expect "$out" "Connected to PAKS reference server" "The token is kept in the system keyring."
[ ! -e "$data_dir/paks-token" ] || fail "the token was written to a file: $data_dir/paks-token"
if grep -rqF -- "$token" "$data_dir"; then fail "the token is in the data folder"; fi
# Wine's Credential Manager keeps credentials, encrypted, in the user's registry hive.
credentials='HKCU\Software\Wine\Credential Manager'
wine reg query "$credentials" /s >"$work/credentials" 2>&1 || fail "nothing in $credentials"
echo "$credentials: $(grep -c '^HKEY' "$work/credentials") key(s)"

step "submit, sync --until-idle, the signed receipt"
expect "$(cli submit "$case_id")" "is in the outbox" "2 file(s)"
out="$(cli sync --until-idle)"
echo "$out"
expect "$out" "Everything is sent; PAKS reviewers have the rest."
out="$(cli status "$case_id")"
echo "$out"
expect "$out" "Receipt from PAKS reference server" "(signed, key" "ບົດນຳສະເໜີ.pptx" "ລາຍງານ.pdf" \
  "The token is kept in the system keyring."
status="$(cli status "$case_id" --json)"
submission="$(json "$status" 'j["submission_id"]')"
expect "$("$server_bin" --data "$server_data" review show "$submission")" "$case_title" "ບົດນຳສະເໜີ.pptx"

step "export a bag that the Library of Congress bagit.py validates"
out="$(cli export-bag "$case_id" "$win_home\\Documents\\$lao_folder\\ກໍລະນີ.zip" --quiet)"
expect "$out" "case $case_id with 2 attachment(s)"
mkdir "$work/bag"
python3 -m zipfile -e "$home/Documents/$lao_folder/ກໍລະນີ.zip" "$work/bag"
bag_root="$(dirname "$(find "$work/bag" -name bagit.txt | head -n 1)")"
"$bagit_py" --validate "$bag_root" 2>&1 | tee "$work/bagit.out"
grep -q "is valid" "$work/bagit.out" || fail "bagit.py does not find the bag valid"

step "a backup"
expect "$(cli backup now)" "Backed up:"
backups=("$data_dir"/backups/*)
[ -s "${backups[0]}" ] || fail "no backup file in $data_dir/backups"

step "silent uninstall (per user): the program goes, the data stays"
timeout 120 wine "$program_dir/uninstall.exe" /S || fail "the uninstaller exited $?"
# The uninstaller re-runs itself from %TEMP% so that it can delete itself.
wait_for 120 '[ ! -e "$program_dir" ]' || fail "the program folder is still there: $(ls "$program_dir")"
timeout 120 wineserver -w
[ ! -e "$start_menu" ] || fail "the Start-menu shortcut is still there"
if wine reg query "$uninstall_key" >/dev/null 2>&1; then fail "$uninstall_key is still there"; fi
for kept in paks-desk.sqlite3 attachments "${backups[0]#"$data_dir/"}"; do
  [ -e "$data_dir/$kept" ] || fail "the uninstaller removed $data_dir/$kept"
done
wine reg query "$credentials" /s >/dev/null 2>&1 \
  || fail "the uninstaller removed the token from the Credential Manager"
echo "gone: $program_dir; kept: the database, attachments, backups and the token"

step "all-users silent install: /S /AllUsers"
timeout 300 wine "$installer" /S /AllUsers || fail "the installer exited $?"
timeout 120 wineserver -w
all_users_dir="$drive_c/Program Files/PAKS Desk"
for f in "${installed[@]}"; do
  [ -s "$all_users_dir/$f" ] || fail "$f is not in $all_users_dir: $(ls "$all_users_dir" 2>&1)"
done
all_users_key='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\org.un-paks.desk'
expect "$(wine reg query "$all_users_key" /v QuietUninstallString)" "/AllUsers /S"
cli_exe='C:\Program Files\PAKS Desk\paks-desk-cli.exe'
out="$(cli status "$case_id")"
expect "$out" "Receipt from PAKS reference server" "The token is kept in the system keyring."
echo "the all-users paks-desk-cli.exe finds the case, its receipt and the token kept before"

step "silent uninstall (all users)"
timeout 120 wine "$all_users_dir/uninstall.exe" /S /AllUsers || fail "the uninstaller exited $?"
wait_for 120 '[ ! -e "$all_users_dir" ]' || fail "the program folder is still there: $(ls "$all_users_dir")"
timeout 120 wineserver -w
if wine reg query "$all_users_key" >/dev/null 2>&1; then fail "$all_users_key is still there"; fi
[ -f "$data_dir/paks-desk.sqlite3" ] || fail "the uninstaller removed the data"

step "all passed in $((SECONDS - started)) s"
