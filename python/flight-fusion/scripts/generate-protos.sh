#!/usr/bin/env bash
# Regenerates flight_fusion/ipc/v1alpha1/*_pb2.py from the repository's proto/ folder (generated: do not modify).
# Needs grpcio-tools (pinned in python/requirements-dev.txt); the generated code requires the protobuf runtime
# version declared in pyproject.toml.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
"$python" -m grpc_tools.protoc -I "$root/proto" --python_out="$here" --pyi_out="$here" \
  "$root"/proto/flight_fusion/ipc/v1alpha1/*.proto
