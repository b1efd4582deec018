#!/usr/bin/env bash
# README's test command (`npm test`): prepare this machine, then run every test.
#
# On a fresh Debian machine this installs what the tests need (Debian packages and Node 24, via
# .ci/install; as root, or with sudo) and the npm dependencies (npm ci, when node_modules is
# missing or older than package-lock.json), then runs vitest on Node 24. Arguments go to vitest:
#   npm test -- test/e2e/dokku-deploy.test.ts
# The tests start PostgreSQL, sshd, dockerd and the package index themselves (test/support/).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=.ci/install
source .ci/install

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

exec npx vitest run "$@"
