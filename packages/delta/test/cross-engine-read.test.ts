import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTempDir, runPython, type TempDir } from "@mlfusion/testing";
import { type RecordBatch, Table, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readHistory } from "../src/history.js";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import { DeltaTable } from "../src/table.js";

// Tables written by the real delta-rs (`deltalake`), read by this library identically at every version:
// partitioned by string/int/date/timestamp columns with nulls, appended, replaceWhere'd, schema-evolved,
// checkpointed and overwritten. pyarrow compares our rows (handed over as Arrow IPC) with delta-rs' own.

const WRITE_WITH_DELTALAKE = `
import sys, json, datetime
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
root = sys.argv[1]
def rows(ids, extra=False):
    cols = {
        "id": pa.array(ids, pa.int64()),
        "label": pa.array([None if i % 5 == 0 else ["plain", "a/b", "x=y", "50%", "sp ace"][i % 5] for i in ids]),
        "bucket": pa.array([None if i % 4 == 0 else i % 3 for i in ids], pa.int32()),
        "day": pa.array([None if i % 6 == 0 else datetime.date(2024, 1, 1 + i % 3) for i in ids], pa.date32()),
        "at": pa.array([None if i % 7 == 0 else datetime.datetime(2024, 6, 1 + i % 2, 12, 30, 15, 250000, tzinfo=datetime.timezone.utc) for i in ids], pa.timestamp("us", tz="UTC")),
        "x": pa.array([i * 0.5 for i in ids], pa.float64()),
    }
    if extra:
        cols["extra"] = pa.array([f"e{i}" for i in ids])
    return pa.table(cols)
versions = {}
for column in ["label", "bucket", "day", "at"]:
    path = f"{root}/{column}"
    write_deltalake(path, rows(list(range(0, 20))), partition_by=[column])
    write_deltalake(path, rows(list(range(20, 30))), mode="append")
    write_deltalake(path, rows(list(range(10, 15))), mode="overwrite", predicate="id >= 10 AND id < 15")
    write_deltalake(path, rows(list(range(30, 35)), extra=True), mode="append", schema_mode="merge")
    for v in range(6):
        write_deltalake(path, rows([40 + v], extra=True), mode="append")
    DeltaTable(path).create_checkpoint()
    write_deltalake(path, rows(list(range(50, 55)), extra=True), mode="overwrite")
    versions[column] = {
        "version": DeltaTable(path).version(),
        "history": [[h["version"], h["operation"]] for h in DeltaTable(path).history()],
    }
print(json.dumps(versions))
`;

const COMPARE = `
import sys, json, glob, os
import pyarrow as pa, pyarrow.ipc as ipc
from deltalake import DeltaTable
root = sys.argv[1]
problems = []
checked = 0
for file in sorted(glob.glob(f"{root}/ours/*.arrow")):
    column, version = os.path.basename(file)[:-6].rsplit("-", 1)
    ours = ipc.open_file(file).read_all()
    theirs = DeltaTable(f"{root}/{column}", version=int(version)).to_pyarrow_table()
    if sorted(ours.column_names) != sorted(theirs.column_names):
        problems.append(f"{column}@{version}: columns {ours.column_names} != {theirs.column_names}")
        continue
    names = sorted(theirs.column_names)
    a = ours.select(names).sort_by("id").to_pylist()
    b = theirs.select(names).sort_by("id").to_pylist()
    if a != b:
        problems.append(f"{column}@{version}: {a[:3]} != {b[:3]} ({len(a)} vs {len(b)} rows)")
    checked += 1
print(json.dumps({"problems": problems, "checked": checked}))
`;

describe("tables written by delta-rs, read by DeltaTable.scan", () => {
  let dir: TempDir;
  let versions: Record<string, { version: number; history: [number, string][] }>;
  beforeAll(async () => {
    dir = await createTempDir("delta-xread-");
    versions = JSON.parse((await runPython(WRITE_WITH_DELTALAKE, [dir.path])).stdout);
  });
  afterAll(async () => {
    await dir.close();
  });

  it("reads every version of every table with the same rows and history as delta-rs", async () => {
    const out = join(dir.path, "ours");
    await mkdir(out, { recursive: true });
    let written = 0;
    for (const [column, { version: latest, history }] of Object.entries(versions)) {
      expect(latest).toBe(10);
      const store = createLocalObjectStore(join(dir.path, column));
      expect((await readHistory(store)).map((h) => [h.version, h.operation])).toEqual(history);
      for (let version = 0; version <= latest; version++) {
        const table = await DeltaTable.open(store, { version });
        const batches: RecordBatch[] = [];
        for await (const batch of table.scan()) batches.push(batch);
        const arrow = batches.length > 0 ? new Table(batches) : new Table(table.schema());
        await writeFile(join(out, `${column}-${version}.arrow`), tableToIPC(arrow, "file"));
        written += 1;
      }
    }
    const result: { problems: string[]; checked: number } = JSON.parse((await runPython(COMPARE, [dir.path])).stdout);
    expect(result.problems).toEqual([]);
    expect(result.checked).toBe(written);
  });
});
