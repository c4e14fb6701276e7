#!/usr/bin/env bash
# Starts the platform on its embedded defaults: installs and builds on first use, then runs
# `fusion start flight` (local storage in the workspace, no external services). Extra arguments pass through.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund; fi
npm run --silent build
exec node packages/cli/dist/bin.js start flight "$@"
