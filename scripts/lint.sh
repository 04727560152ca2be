#!/usr/bin/env bash
# Every static check, each run to the end so one pass shows all findings:
# eslint, prettier --check, knip (unused files/exports/dependencies), dependency rules
# (the package.json scripts lint:eslint, lint:format, lint:unused, lint:deps).
# Exits non-zero when any of them failed and names which.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
step() {
  local name=$1
  shift
  echo "== lint: $name"
  "$@" || failed+=("$name")
}
for name in eslint format unused deps; do
  step "$name" npm run --silent "lint:$name"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "lint failed: ${failed[*]}" >&2
  exit 1
fi
echo "lint: all clean"
