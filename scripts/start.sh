#!/usr/bin/env bash
# Starts the platform on its embedded defaults: installs and builds on first use, then runs
# `fusion env init` (idempotent) and `fusion start flight`: local storage in the workspace's data/ folder, no
# external services. Extra arguments pass through, e.g. `npm start -- --port 0`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund; fi
npm run --silent build
# The repository itself is a git repository: its workspace is .mlfusion/ at the root (git-ignored).
node packages/cli/dist/bin.js env init
exec node packages/cli/dist/bin.js start flight "$@"
