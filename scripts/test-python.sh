#!/usr/bin/env bash
# Runs the pytest suites of the Python packages under python/ inside the project-local .venv.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup-python.sh
suites=()
for pkg in python/*/; do
  if [ -d "$pkg/tests" ]; then suites+=("$pkg/tests"); fi
done
if [ ${#suites[@]} -eq 0 ]; then
  echo "No Python test suites yet (python/*/tests)."
  exit 0
fi
.venv/bin/python -m pytest -q "${suites[@]}"
