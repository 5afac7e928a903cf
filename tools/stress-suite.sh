#!/bin/sh
# Runs the whole test suite N times in a row (default 5) while stress-ng keeps every CPU busy,
# to show that no test depends on timing. Installs stress-ng (Debian) when missing. Stops at the
# first failing run and says which. Run as root, after ./scripts/setup.sh:
#   tools/stress-suite.sh [RUNS]
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
command -v stress-ng >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends stress-ng >/dev/null; }
npm run build --silent >/dev/null
stress-ng --cpu 2 --timeout 0 --quiet &
stress=$!
trap 'kill $stress 2>/dev/null; wait $stress 2>/dev/null || true' EXIT INT TERM
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if node tools/run-tests.mjs >"/tmp/berth-stress-run-$i.log" 2>&1; then
    echo "stress-suite: run $i of $runs passed ($(( $(date +%s) - start )) s): $(grep -E '^ℹ (tests|pass|fail) ' "/tmp/berth-stress-run-$i.log" | tr '\n' ' ')"
  else
    echo "stress-suite: run $i of $runs FAILED; see /tmp/berth-stress-run-$i.log:" >&2
    grep -E '^\s*✖' "/tmp/berth-stress-run-$i.log" | head -20 >&2
    exit 1
  fi
done
echo "stress-suite: $runs runs in a row passed under stress-ng --cpu 2"
