import { runPython } from "@mlfusion/testing";

// Shared by the write tests: read a Delta table with the real delta-rs (`deltalake`) and return its rows as
// JSON-safe values sorted by a key column, plus its version and history.

const READ_WITH_DELTALAKE = `
import sys, os, json, datetime, decimal, math
from deltalake import DeltaTable
path, version, key = sys.argv[1], sys.argv[2], sys.argv[3]
dt = DeltaTable(path) if version == "latest" else DeltaTable(path, version=int(version))
def conv(v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return v.isoformat()
    if isinstance(v, (datetime.date, decimal.Decimal)):
        return str(v)
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return str(v)
    if isinstance(v, dict):
        return {k: conv(x) for k, x in v.items()}
    if isinstance(v, list):
        return [conv(x) for x in v]
    if isinstance(v, tuple):
        return [conv(x) for x in v]
    return v
rows = [{k: conv(v) for k, v in r.items()} for r in dt.to_pyarrow_table().to_pylist()]
rows.sort(key=lambda r: (r[key] is None, r[key]))
history = [{"version": h.get("version"), "operation": h.get("operation")} for h in dt.history()]
print(json.dumps({"version": dt.version(), "rows": rows, "history": history, "files": len(dt.file_uris())}))
`;

export interface DeltalakeView {
  version: number;
  rows: Record<string, unknown>[];
  history: { version: number; operation: string }[];
  files: number;
}

/** Reads a table with delta-rs; `version` "latest" or a number; rows sorted by `key`. */
export async function readWithDeltalake(
  path: string,
  key: string,
  version: number | "latest" = "latest",
): Promise<DeltalakeView> {
  const { stdout } = await runPython(READ_WITH_DELTALAKE, [path, String(version), key]);
  const parsed: DeltalakeView = JSON.parse(stdout);
  return parsed;
}
