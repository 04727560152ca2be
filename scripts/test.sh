#!/usr/bin/env bash
# The test suite (docs/testing.md). node:test over *.test.ts through tsx.
#   scripts/test.sh            everything, in this order: provision the Debian packages, start the
#                              Docker engine, lint (when package.json has a lint script),
#                              typecheck, build, unit tests, e2e tests
#   scripts/test.sh unit       test/unit only: no provisioning, no Docker, no build
#   scripts/test.sh e2e        provision, engine, build, then test/e2e only
#   scripts/test.sh FILE...    the named files (provision + engine; build when a web test is named)
# Every test has a deadline (--test-timeout): a hung test fails, the suite never hangs.
set -euo pipefail
cd "$(dirname "$0")/.."

UNIT_TIMEOUT_MS=60000
E2E_TIMEOUT_MS=300000

tests_in() { find "$1" -name '*.test.ts' | sort; }
# Two cores: two test files at a time; each file's own tests run in order.
run_tests() { # timeout-ms file...
  local timeout="$1"; shift
  node --import tsx --test --test-concurrency=2 --test-timeout="$timeout" --test-reporter=spec "$@"
}
# Unit tests must not reach an engine: point them at a socket that does not exist, so a test
# that quietly used Docker fails here instead of passing on a machine that happens to have one.
unit() {
  mapfile -t files < <(tests_in test/unit)
  DOCKER_HOST=unix:///nonexistent/unit-tests-have-no-docker.sock run_tests "$UNIT_TIMEOUT_MS" "${files[@]}"
}
engine() {
  bash scripts/provision.sh
  eval "$(bash scripts/test-docker.sh | tail -1)"
  export DOCKER_HOST
}
build() { npm run build --silent; }
has_script() { node -e "process.exit(require('./package.json').scripts?.[process.argv[1]] ? 0 : 1)" "$1"; }

case "${1:-all}" in
  unit)
    unit
    ;;
  e2e)
    engine
    build
    mapfile -t files < <(tests_in test/e2e)
    run_tests "$E2E_TIMEOUT_MS" "${files[@]}"
    ;;
  all)
    engine
    if has_script lint; then npm run lint --silent; fi
    npx tsc -p tsconfig.test.json
    build
    unit
    mapfile -t files < <(tests_in test/e2e)
    run_tests "$E2E_TIMEOUT_MS" "${files[@]}"
    ;;
  *)
    engine
    if printf '%s\n' "$@" | grep -q 'test/e2e/web/'; then build; fi
    run_tests "$E2E_TIMEOUT_MS" "$@"
    ;;
esac
