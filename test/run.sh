#!/usr/bin/env bash
# Runs the test suite. As root (CI is), the whole suite runs inside a fresh network namespace with only
# loopback up: a bug that tries to reach a 10.x or public address gets ENETUNREACH instead of sending a packet.
set -euo pipefail
cd "$(dirname "$0")/.."
# With no arguments the whole suite runs; arguments are spec globs (e.g. 'test/endpoint/*.test.ts') and replace it.
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=('test/**/*.test.ts')
runner=(npx --no-install c8 mocha "${specs[@]}")
# The reporter writes "N passed, N failed, N skipped" here; it is printed last, after c8's coverage summary.
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
export DPL_TEST_SUMMARY=$summary
set +e
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null && unshare -n true 2>/dev/null; then
  echo "network: tests run inside a fresh network namespace (loopback only)"
  export DPL_TEST_NETNS=1
  unshare -n bash -c 'ip link set lo up && exec "$@"' _ "${runner[@]}"
else
  echo "network: tests run in the host network namespace (not root or no unshare); enforce-mode tests still prove no connection is made"
  export DPL_TEST_NETNS=0
  "${runner[@]}"
fi
status=$?
set -e
[ -s "$summary" ] && cat "$summary"
exit "$status"
