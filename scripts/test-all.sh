#!/usr/bin/env bash
# The one test command: installs everything from the package registries (npm, PyPI), builds, lints,
# and runs every TypeScript and Python test. Used by .ci/run and documented in the README.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

echo "== npm ci"
npm ci --no-audit --no-fund
echo "== build"
npm run --silent build
echo "== typecheck (tests too)"
npx tsc -p tsconfig.test.json
echo "== lint"
npx biome check .
echo "== python environment (.venv)"
bash scripts/setup-python.sh
export FUSION_PYTHON="$root/.venv/bin/python"
if [ ! -d ../shared/delta-conformance ]; then
  echo "NOTE: ../shared/delta-conformance is absent: the Delta conformance tests will report themselves skipped."
fi
echo "== TypeScript tests (vitest)"
npx vitest run
echo "== Python tests (pytest)"
bash scripts/test-python.sh
