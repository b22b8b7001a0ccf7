#!/usr/bin/env bash
# Runs one cargo-fuzz target (fuzz/, nightly toolchain) for SECONDS, then merges what it found
# that adds coverage into the committed corpus fuzz/corpus/TARGET. Not a CI step: CI runs the
# same targets on stable as bounded tests (docs/fuzzing.md).
#
#   scripts/fuzz.sh TARGET SECONDS          fuzz; crashes land in fuzz/artifacts/TARGET/
#   scripts/fuzz.sh TARGET 0 FILE...        run the target once on each FILE (replay a failure)
#   scripts/fuzz.sh list                    the targets
#
# Needs: rustup's nightly toolchain and `cargo install cargo-fuzz --locked`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
export PATH="$HOME/.cargo/bin:$PATH"

if [ "${1:-}" = list ]; then
  exec cargo +nightly fuzz list
fi
if [ $# -lt 2 ]; then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
target="$1"
seconds="$2"
shift 2

case "$target" in
  detect | pptx | docx | xlsx | odf) dict=office ;;
  pdf) dict=pdf ;;
  bag) dict=bag ;;
  case_json | submission_json | submission_request) dict=json ;;
  tus_headers) dict=tus ;;
  search_query) dict=search ;;
  *) echo "unknown target $target (scripts/fuzz.sh list)" >&2; exit 2 ;;
esac
# Bounds of one input: a slower one is a hang, more memory an out-of-memory bug.
limits=(-timeout=30 -rss_limit_mb=2560 -malloc_limit_mb=2048 -max_len=1048576 "-dict=dict/$dict.dict")

if [ "$seconds" = 0 ]; then
  exec cargo +nightly fuzz run "$target" "$@" -- "${limits[@]}" -runs=1
fi

work="target/corpus-work/$target"
mkdir -p "$work" "corpus/$target"
status=0
cargo +nightly fuzz run "$target" "$work" "corpus/$target" -- "${limits[@]}" \
  -max_total_time="$seconds" -print_final_stats=1 || status=$?
# Keep only what adds coverage to the committed corpus.
cargo +nightly fuzz run "$target" "corpus/$target" "$work" -- "${limits[@]}" -merge=1 >/dev/null 2>&1 || true
exit "$status"
