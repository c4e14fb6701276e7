#!/usr/bin/env bash
# Creates the project-local Python environment (.venv) with the real peers the tests talk to
# (pyarrow, deltalake, duckdb, pandas, polars, pytest) and the project's Python packages in editable mode.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.requirements-stamp
shopt -s nullglob
want="$(cat python/requirements-dev.txt python/*/pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r python/requirements-dev.txt
  # One pip call for every local package, so that packages depending on each other (dagster-fusion on
  # flight-fusion) resolve against the local sources instead of looking for them on PyPI.
  editable=()
  for pkg in python/*/; do
    if [ -f "$pkg/pyproject.toml" ]; then editable+=(-e "$pkg"); fi
  done
  if [ ${#editable[@]} -gt 0 ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "${editable[@]}"
  fi
  echo "$want" > "$stamp"
fi
