#!/usr/bin/env bash
# First-use preparation for `npm test`, `npm run demo` and `npm run bench`:
# Debian packages, then the npm dependencies when they are missing or stale.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-host.sh

stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "prepare: installing npm dependencies (npm ci)"
  npm ci --no-fund --no-audit
fi
