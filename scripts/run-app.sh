#!/usr/bin/env bash
# Sets up what the machine lacks (Debian 12), builds PAKS Desk, starts a local reference PAKS server
# with a registered focal point, connects the app to it, and opens the app. Ctrl-C or closing the
# window stops both.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

scripts/setup-debian.sh app

echo "==> building the UI, the app, the CLI and the local PAKS server"
(cd ui && npm run build)
cargo build -p paks-desk -p desk-cli -p paks-server

server_dir="${PAKS_DEV_SERVER_DIR:-$HOME/.local/share/paks-desk-dev-server}"
port="${PAKS_DEV_PORT:-8640}"
url="http://127.0.0.1:$port"
mkdir -p "$server_dir"

if [ ! -s "$server_dir/dev-token" ]; then
  echo "==> registering a focal point for Lao PDR on the local server"
  target/debug/paks-server focal-point add --data "$server_dir" --country LAO \
    --name "Local focal point" --email focal.point@example.la --valid-days 0 \
    | grep -Eo '^paks_[A-Za-z0-9_-]+' | head -n 1 > "$server_dir/dev-token"
fi

echo "==> starting the local PAKS server at $url"
target/debug/paks-server serve --data "$server_dir" --listen "127.0.0.1:$port" &
server_pid=$!
trap 'kill -TERM "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null' EXIT
for _ in $(seq 1 50); do
  curl -fsS "$url/api/v1/identity" >/dev/null 2>&1 && break
  sleep 0.2
done

target/debug/paks-desk-cli connect "$url" --token "$(cat "$server_dir/dev-token")" \
  || echo "warning: could not connect to $url (see the message above)" >&2

echo "==> opening PAKS Desk (the operator CLI: target/debug/paks-server review list --data $server_dir)"
target/debug/paks-desk
