#!/usr/bin/env bash
# Refreshes the README's screenshots (docs/screenshots/, committed) from the end-to-end tests: the
# day in the life in English, Russian and Chinese, and the case in the focal points' scripts.
# The tests write every screen to tests/e2e/screenshots/ (not committed); this copies the few the
# README shows. Run it by hand after a change to the UI, not in CI.
#   scripts/refresh-screenshots.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
(cd ui && npm run build)
cargo build -p paks-desk -p paks-server
(cd tests/e2e && npm ci --no-audit --no-fund)
for test in a_focal_points_day a_focal_points_day_in_russian a_focal_points_day_in_chinese; do
  xvfb-run -a -s "-screen 0 1280x800x24" \
    cargo test -p paks-desk-e2e --test day_in_the_life -- --exact "$test" --test-threads=1
done
xvfb-run -a -s "-screen 0 1280x800x24" \
  cargo test -p paks-desk-e2e --test scripts -- --test-threads=1

shots="$root/tests/e2e/screenshots"
mkdir -p docs/screenshots
for name in 10-search ru-00-profile ru-08-submit-refused ru-12-sending zh-09-attachments \
  zh-14-published scripts-search; do
  cp "$shots/$name.png" "docs/screenshots/$name.png"
done
echo "docs/screenshots/ refreshed; commit them with the change they show."
