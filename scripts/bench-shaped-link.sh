#!/usr/bin/env bash
# The shaped-link benchmark: a 1 Mbit/s link (tbf, each way) between two network namespaces
# joined by veth, and the harness's TCP proxy in the path adding 150 ms each way and cutting the
# link for 5 s every 30 s (open connections reset, new ones refused). Uploads one file with
# desk-sync's client to the real paks-server, then with the official tus-js-client 4.x to
# @tus/server, on the same link in the same run, and prints goodput and bytes re-sent; then
# downloads a desk release (UPDATE_MIB, default 10) with desk-sync's resumable update download
# and prints its goodput and bytes fetched beyond the file.
# Not a test: it asserts nothing. Needs root (ip netns, tc) and Node.js.
#   scripts/bench-shaped-link.sh [SIZE_MIB] [--ours-only | --update-only]
#   (default 50: some 10 minutes per client; --update-only runs the update download alone)
# desk-sync's log (RUST_LOG, default info) is kept in target/shaped-link-client.log.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
size_mib="${1:-50}"
ours_only="${2:-}"
update_mib="${UPDATE_MIB:-10}"
rate_kbit=1000
[ "$(id -u)" -eq 0 ] || { echo "needs root: network namespaces and tc" >&2; exit 2; }
command -v node >/dev/null || { echo "needs Node.js (scripts/setup-debian.sh test)" >&2; exit 2; }

cargo build -q -p desk-sync --example shaped_link
bin="${CARGO_TARGET_DIR:-$root/target}/debug/examples/shaped_link"
for dir in crates/desk-sync/tests/tus-node-server tests/interop-tus-js; do
  [ -d "$dir/node_modules" ] || (cd "$dir" && npm ci --no-audit --no-fund)
done

work="$(mktemp -d /tmp/paks-shaped-link.XXXXXX)"
cli=paks-bench-cli
srv=paks-bench-srv
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$cli" 2>/dev/null || true
  ip netns del "$srv" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$cli"
ip netns add "$srv"
ip link add vcli netns "$cli" type veth peer name vsrv netns "$srv"
ip -n "$cli" addr add 10.77.0.1/24 dev vcli
ip -n "$srv" addr add 10.77.0.2/24 dev vsrv
for ns in "$cli" "$srv"; do ip -n "$ns" link set lo up; done
ip -n "$cli" link set vcli up
ip -n "$srv" link set vsrv up
tc -n "$cli" qdisc add dev vcli root tbf rate "${rate_kbit}kbit" burst 4kb latency 100ms
tc -n "$srv" qdisc add dev vsrv root tbf rate "${rate_kbit}kbit" burst 4kb latency 100ms

head -c "$((size_mib * 1048576))" /dev/urandom > "$work/deck.pptx"
head -c "$((update_mib * 1048576))" /dev/urandom > "$work/release.bin"

ip netns exec "$srv" node crates/desk-sync/tests/tus-node-server/server.mjs "$work/tus-store" \
  > "$work/tus-node.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q LISTENING "$work/tus-node.log" && break; sleep 0.1; done
tus_port="$(awk '/LISTENING/ {print $2}' "$work/tus-node.log")"
[ -n "$tus_port" ] || { cat "$work/tus-node.log"; exit 1; }

ip netns exec "$srv" "$bin" server --data "$work/paks" --paks 127.0.0.1:8640 \
  --route 10.77.0.2:9000=127.0.0.1:8640 --route "10.77.0.2:9001=127.0.0.1:$tus_port" \
  --delay-ms 150 --cut-every 30 --cut-for 5 --stats "$work/stats.json" --token-out "$work/token" \
  --release-file "$work/release.bin" --update-key-out "$work/update.pub" \
  > "$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/stats.json" ] && break; sleep 0.1; done
[ -s "$work/stats.json" ] || { cat "$work/server.log"; exit 1; }

echo "link: ${rate_kbit} kbit/s each way (tbf), +150 ms each way, cut 5 s every 30 s; file ${size_mib} MiB, update ${update_mib} MiB"
cp "$work/stats.json" "$work/stats-0.json"
log="${CARGO_TARGET_DIR:-$root/target}/shaped-link-client.log"
if [ "$ours_only" = --update-only ]; then
  echo '{"skipped": "--update-only"}' > "$work/ours.json"
else
  echo "desk-sync -> paks-server ..."
  ip netns exec "$cli" env PAKS_DESK_KEYRING=off RUST_LOG="${RUST_LOG:-info}" "$bin" client \
    --data "$work/desk" --url http://10.77.0.2:9000 --token-file "$work/token" \
    --file "$work/deck.pptx" > "$work/ours.json" 2> "$log"
  sleep 1
fi
cp "$work/stats.json" "$work/stats-1.json"
if [ -n "$ours_only" ]; then
  echo "{\"skipped\": \"$ours_only\"}" > "$work/tus-js.json"
else
  echo "tus-js-client -> @tus/server ..."
  ip netns exec "$cli" node crates/desk-sync/examples/shaped-link-tus-js.mjs http://10.77.0.2:9001 \
    "$work/deck.pptx" > "$work/tus-js.json"
fi
sleep 1
cp "$work/stats.json" "$work/stats-2.json"
echo "desk-sync update download <- paks-server ..."
ip netns exec "$cli" env PAKS_DESK_KEYRING=off RUST_LOG="${RUST_LOG:-info}" "$bin" update \
  --data "$work/desk-update" --url http://10.77.0.2:9000 --token-file "$work/token" \
  --key-file "$work/update.pub" > "$work/update.json" 2> "${log%.log}-update.log"
sleep 1
cp "$work/stats.json" "$work/stats-3.json"
cp "$work/server.log" "${CARGO_TARGET_DIR:-$root/target}/shaped-link-server.log"

python3 - "$work" "$rate_kbit" <<'PY'
import json, sys, statistics
work, rate_kbit = sys.argv[1], int(sys.argv[2])
link = rate_kbit * 1000 / 8
s = [json.load(open(f"{work}/stats-{i}.json")) for i in range(4)]
runs = [("desk-sync -> paks-server", "ours.json", "10.77.0.2:9000", 0),
        ("tus-js-client 4.x -> @tus/server", "tus-js.json", "10.77.0.2:9001", 1)]
for name, out, route, i in runs:
    r = json.load(open(f"{work}/{out}"))
    if "skipped" in r:
        continue
    a, b = s[i]["routes"][route], s[i + 1]["routes"][route]
    sent = b["client_bytes"] - a["client_bytes"]
    size = r["file_bytes"]
    secs = r.get("upload_s")
    resumes = b["resume_after_cut_s"][len(a["resume_after_cut_s"]):]
    cuts = s[i + 1]["cuts"] - s[i]["cuts"]
    print(f"\n{name}")
    if not secs:
        print(f"  did not finish: {r}")
        continue
    print(f"  {size} bytes in {secs:.1f} s: goodput {size / secs / 1000:.1f} kB/s = "
          f"{100 * size / secs / link:.1f}% of the link rate")
    print(f"  bytes sent beyond the file (re-sent + HTTP headers): {sent - size} = "
          f"{100 * (sent - size) / size:.2f}%")
    print(f"  cuts during the run: {cuts}; first byte after the link returned: "
          + (f"median {statistics.median(resumes):.2f} s, max {max(resumes):.2f} s" if resumes else "n/a"))
    print(f"  client's report: {json.dumps(r)}")

r = json.load(open(f"{work}/update.json"))
a, b = s[2]["routes"]["10.77.0.2:9000"], s[3]["routes"]["10.77.0.2:9000"]
came = b["server_bytes"] - a["server_bytes"]
size, secs = r["file_bytes"], r["download_s"]
print("\ndesk-sync update download <- paks-server")
print(f"  {size} bytes in {secs:.1f} s: goodput {size / secs / 1000:.1f} kB/s = "
      f"{100 * size / secs / link:.1f}% of the link rate (verified: {r['verified']})")
print(f"  bytes fetched beyond the file (re-fetched + HTTP headers + the offer): {came - size} = "
      f"{100 * (came - size) / size:.2f}%")
print(f"  cuts during the run: {s[3]['cuts'] - s[2]['cuts']}")
print(f"  client's report: {json.dumps(r)}")
PY
