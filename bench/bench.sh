#!/usr/bin/env bash
# `npm run bench -- [--quick] [--only S1,S3]`: installs and builds Jobcast as `npm test` does, compiles the
# bench, raises the open-file limit as far as this machine allows (every process the bench starts, gateways
# included, inherits it), then runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
node --input-type=module -e "import('./scripts/workspace.mjs').then((workspace) => workspace.prepareWorkspace())"
node_modules/.bin/tsc -p bench/tsconfig.json
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65535 2>/dev/null || true
# `npm run bench -- tokens …`: S5, token streams (bench/tokens.ts), on its own.
if [ "${1:-}" = "tokens" ]; then shift; exec node bench/dist/tokens.js "$@"; fi
# `npm run bench -- dashboard …`: S6, a dashboard of a batch (bench/dashboard.ts), on its own.
if [ "${1:-}" = "dashboard" ]; then shift; exec node bench/dist/dashboard.js "$@"; fi
exec node bench/dist/main.js "$@"
