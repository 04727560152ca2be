#!/usr/bin/env bash
# The whole test suite: typecheck, then node:test over test/**/*.test.ts through tsx.
# Docker-backed tests get a real engine from scripts/test-docker.sh (provisioned, never skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/test-docker.sh | tail -1)"
export DOCKER_HOST
# Typecheck the whole tree only for a full run; a named file run is for quick iteration.
[ $# -eq 0 ] && npx tsc -p tsconfig.test.json
if [ -f web/package.json ] || [ -f web/index.html ]; then npm run build --silent; fi
mapfile -t files < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else find test -name '*.test.ts' | sort; fi)
# Two cores: run test files two at a time; each file's own tests run in order.
exec node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}"
