import { readdirSync } from "node:fs";
import { join } from "node:path";
import { createTempDir, runPython, type TempDir } from "@mlfusion/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readParquetFile } from "../src/parquet/parquet-reader.js";
import { loadSnapshot } from "../src/snapshot/snapshot.js";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import { DeltaTable } from "../src/table.js";
import { addRows, multisetDifference } from "./row-multiset.js";

// Tables written by delta-rs (the `deltalake` package), read by us at every version and compared row by row with
// what delta-rs itself reads at that version. Also filters (rows) and file skipping (files) against pyarrow.

const WRITE = `
import sys, os, datetime, decimal, json
import pyarrow as pa, pyarrow.parquet as pq, pyarrow.compute as pc
from deltalake import write_deltalake, DeltaTable

path, out = sys.argv[1], sys.argv[2]
UTC = datetime.timezone.utc

def batch(start, n, extra=False):
    ids = list(range(start, start + n))
    cols = {
        "id": pa.array(ids, pa.int64()),
        "x": pa.array([None if i % 7 == 3 else i * 1.5 for i in ids], pa.float64()),
        "s": pa.array([None if i % 5 == 0 else f"s{i % 13}" for i in ids], pa.string()),
        "flag": pa.array([i % 2 == 0 for i in ids], pa.bool_()),
        "amount": pa.array([decimal.Decimal(i * 37 - 500) / 100 for i in ids], pa.decimal128(12, 2)),
        "day": pa.array([datetime.date(2024, 1, 1) + datetime.timedelta(days=i % 40) for i in ids], pa.date32()),
        "ts": pa.array([datetime.datetime(2024, 1, 1, tzinfo=UTC) + datetime.timedelta(seconds=i * 3601, microseconds=i) for i in ids], pa.timestamp("us", tz="UTC")),
        "tags": pa.array([[f"t{i % 3}"] * (i % 3) for i in ids], pa.list_(pa.string())),
        "info": pa.array([{"a": i, "b": None if i % 4 == 0 else f"b{i}"} for i in ids], pa.struct([("a", pa.int32()), ("b", pa.string())])),
        "ps": pa.array([None if i % 9 == 0 else ["a", "b", "c d/e"][i % 3] for i in ids], pa.string()),
        "pi": pa.array([None if i % 11 == 0 else i % 4 for i in ids], pa.int32()),
        "pd": pa.array([None if i % 10 == 0 else datetime.date(2024, 2, 1 + i % 3) for i in ids], pa.date32()),
    }
    if extra:
        cols["added"] = pa.array([f"new{i}" for i in ids], pa.string())
    return pa.table(cols)

parts = ["ps", "pi", "pd"]
write_deltalake(path, batch(0, 60), partition_by=parts)                           # v0
write_deltalake(path, batch(60, 40), mode="append")                               # v1
write_deltalake(path, batch(100, 50), mode="overwrite")                           # v2
write_deltalake(path, batch(150, 30, extra=True), mode="append", schema_mode="merge")  # v3
DeltaTable(path).delete("id % 4 = 1")                                              # v4
write_deltalake(path, batch(500, 20, extra=True).filter(pc.equal(pc.field("ps"), "a")), mode="overwrite", predicate="ps = 'a'")  # v5
DeltaTable(path).create_checkpoint()
write_deltalake(path, batch(600, 25, extra=True), mode="append")                   # v6

dt = DeltaTable(path)
for v in range(dt.version() + 1):
    pq.write_table(DeltaTable(path, version=v).to_pyarrow_table(), os.path.join(out, f"v{v}.parquet"))

filters = json.loads(sys.argv[3])
full = dt.to_pyarrow_table()
for i, (_, expr) in enumerate(filters):
    pq.write_table(full.filter(eval(expr)), os.path.join(out, f"f{i}.parquet"))
print(dt.version())
`;

/** Our filter text and the same predicate as a pyarrow compute expression (evaluated by the script). */
const FILTERS: [string, string][] = [
  ["id > 150 AND id <= 170", "(pc.field('id') > 150) & (pc.field('id') <= 170)"],
  ["s IN ('s1', 's2') OR x IS NULL", "pc.is_in(pc.field('s'), pa.array(['s1','s2'])) | pc.field('x').is_null()"],
  ["NOT flag = true AND ps = 'b'", "pc.invert(pc.field('flag')) & (pc.field('ps') == 'b')"],
  ["ps IS NULL OR pi IS NULL", "pc.field('ps').is_null() | pc.field('pi').is_null()"],
  [
    "pd = '2024-02-02' AND day >= '2024-01-20'",
    "(pc.field('pd') == pa.scalar(__import__('datetime').date(2024,2,2))) & (pc.field('day') >= pa.scalar(__import__('datetime').date(2024,1,20)))",
  ],
  [
    "ts >= '2024-01-10T00:00:00Z' AND ts < '2024-01-20T00:00:00Z'",
    "(pc.field('ts') >= pa.scalar(__import__('datetime').datetime(2024,1,10,tzinfo=UTC))) & (pc.field('ts') < pa.scalar(__import__('datetime').datetime(2024,1,20,tzinfo=UTC)))",
  ],
  [
    "amount > 1.5 AND info.a < 620",
    "(pc.field('amount') > pa.scalar(__import__('decimal').Decimal('1.5'), pa.decimal128(12,2))) & (pc.field('info', 'a') < 620)",
  ],
  ["added <> 'new601' AND \"ps\" != 'c d/e'", "(pc.field('added') != 'new601') & (pc.field('ps') != 'c d/e')"],
];

async function expectedRows(file: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const store = createLocalObjectStore(join(file, ".."));
  for (const batch of await readParquetFile(store, file.split("/").pop() ?? "")) addRows(counts, batch);
  return counts;
}

describe("reading tables written by delta-rs", () => {
  let table: TempDir;
  let expected: TempDir;
  let latest = 0;

  beforeAll(async () => {
    table = await createTempDir("read-deltalake-");
    expected = await createTempDir("read-deltalake-expected-");
    const { stdout } = await runPython(WRITE, [table.path, expected.path, JSON.stringify(FILTERS)]);
    latest = Number(stdout.trim());
  });
  afterAll(async () => {
    await table?.close();
    await expected?.close();
  });

  it("reads every version with the rows delta-rs reads", async () => {
    const store = createLocalObjectStore(table.path);
    expect(latest).toBe(6);
    for (let version = 0; version <= latest; version++) {
      const t = await DeltaTable.open(store, { version });
      expect(t.version).toBe(version);
      const actual = new Map<string, number>();
      for await (const batch of t.scan()) {
        expect(batch.schema.fields.map((f) => f.name)).toEqual(t.schema().fields.map((f) => f.name));
        addRows(actual, batch);
      }
      const wanted = await expectedRows(join(expected.path, `v${version}.parquet`));
      expect(multisetDifference(actual, wanted), `version ${version}`).toEqual([]);
    }
  });

  it("decodes on worker threads with the same rows, and stops cleanly when the consumer stops early", async () => {
    const t = await DeltaTable.open(createLocalObjectStore(table.path));
    const serial = new Map<string, number>();
    for await (const batch of t.scan({ batchSize: 7 })) addRows(serial, batch);
    const parallel = new Map<string, number>();
    for await (const batch of t.scan({ parallel: true, batchSize: 7 })) addRows(parallel, batch);
    expect(multisetDifference(parallel, serial)).toEqual([]);
    for (let i = 0; i < 3; i++) {
      let batches = 0;
      for await (const _ of t.scan({ parallel: true, batchSize: 3 })) {
        batches += 1;
        if (batches === 2) break;
      }
      expect(batches).toBe(2);
    }
    const filtered = new Map<string, number>();
    for await (const batch of t.scan({ parallel: true, filter: "ps = 'b' AND id > 600" })) addRows(filtered, batch);
    const expected = new Map<string, number>();
    for await (const batch of t.scan({ filter: "ps = 'b' AND id > 600" })) addRows(expected, batch);
    expect(multisetDifference(filtered, expected)).toEqual([]);
  });

  it("reports schema, partitioning, row counts and the checkpoint it used", async () => {
    const t = await DeltaTable.open(createLocalObjectStore(table.path));
    expect(t.partitionColumns).toEqual(["ps", "pi", "pd"]);
    expect(t.schema().fields.map((f) => f.name)).toContain("added");
    expect(t.snapshot.logSegment.checkpoint?.version).toBe(5);
    let rows = 0;
    for await (const batch of t.scan({ columns: ["id"] })) rows += batch.numRows;
    expect(t.fileStats().numRecords).toBe(rows);
    expect(t.fileStats().numFiles).toBe(t.files().length);
    // Old files (before the schema change) read the new column as nulls.
    const v3 = await DeltaTable.open(createLocalObjectStore(table.path), { version: 3 });
    let nulls = 0;
    for await (const batch of v3.scan({ columns: ["added", "id"] })) nulls += batch.getChild("added")?.nullCount ?? 0;
    expect(nulls).toBe(50);
  });

  it("filters rows exactly like pyarrow", async () => {
    const t = await DeltaTable.open(createLocalObjectStore(table.path));
    for (const [i, [filter]] of FILTERS.entries()) {
      const actual = new Map<string, number>();
      for await (const batch of t.scan({ filter })) addRows(actual, batch);
      const wanted = await expectedRows(join(expected.path, `f${i}.parquet`));
      expect(multisetDifference(actual, wanted), filter).toEqual([]);
    }
  });

  it("prunes partitions and skips files on statistics", async () => {
    const t = await DeltaTable.open(createLocalObjectStore(table.path));
    const all = t.files();
    const onlyB = t.files({ filter: "ps = 'b'" });
    expect(onlyB.length).toBeGreaterThan(0);
    expect(onlyB.length).toBeLessThan(all.length);
    for (const f of onlyB) expect(f.partitionValues.get("ps")).toBe("b");
    expect(t.files({ filter: "ps IS NULL" }).every((f) => f.partitionValues.get("ps") === null)).toBe(true);
    expect(t.files({ filter: "id > 100000" })).toHaveLength(0);
    expect(t.files({ filter: "ts > '2030-01-01T00:00:00Z'" })).toHaveLength(0);
    const some = t.files({ filter: "id >= 600" });
    expect(some.length).toBeGreaterThan(0);
    expect(some.length).toBeLessThan(all.length);
    // Escaped partition directories ("c d/e") resolve through the log's URI-encoded add.path.
    const escaped = t.files({ filter: "ps = 'c d/e'" });
    expect(escaped.length).toBeGreaterThan(0);
    let rows = 0;
    for await (const batch of t.scan({ filter: "ps = 'c d/e'", columns: ["ps"] })) rows += batch.numRows;
    expect(rows).toBeGreaterThan(0);
  });

  it("time travels by timestamp to the version committed at that time", async () => {
    const store = createLocalObjectStore(table.path);
    const commits = readdirSync(join(table.path, "_delta_log")).filter((f) => f.endsWith(".json"));
    expect(commits.length).toBe(latest + 1);
    const v2 = await loadSnapshot(store, { version: 2 });
    const atV2 = await DeltaTable.open(store, { timestamp: v2.timestamp });
    expect(atV2.version).toBeGreaterThanOrEqual(2);
    const t = await DeltaTable.open(store, { timestamp: new Date(v2.timestamp).toISOString() });
    expect(t.version).toBe(atV2.version);
  });
});

describe("row-group skipping inside data files", () => {
  it("reads only matching row groups and returns exactly the matching rows", async () => {
    const dir = await createTempDir("read-rowgroups-");
    try {
      await runPython(
        `import sys, datetime, pyarrow as pa
from deltalake import write_deltalake, WriterProperties
n = 20_000
UTC = datetime.timezone.utc
t = pa.table({
    "id": pa.array(range(n), pa.int64()),
    "ts": pa.array([datetime.datetime(2024, 1, 1, tzinfo=UTC) + datetime.timedelta(microseconds=7 * i) for i in range(n)], pa.timestamp("us", tz="UTC")),
    "s": pa.array([f"k{i // 1000:03d}" for i in range(n)]),
})
write_deltalake(sys.argv[1], t, writer_properties=WriterProperties(max_row_group_size=1000))`,
        [dir.path],
      );
      const table = await DeltaTable.open(createLocalObjectStore(dir.path));
      const count = async (filter: string): Promise<{ rows: number; ids: number[] }> => {
        let rows = 0;
        const ids: number[] = [];
        for await (const batch of table.scan({ filter, columns: ["id"] })) {
          rows += batch.numRows;
          const v = batch.getChild("id");
          if (v !== null) for (let i = 0; i < batch.numRows; i++) ids.push(Number(v.get(i)));
        }
        return { rows, ids };
      };
      const between = await count("id >= 4990 AND id < 5010");
      expect(between.ids).toEqual(Array.from({ length: 20 }, (_, i) => 4990 + i));
      expect((await count("s = 'k007'")).rows).toBe(1000);
      // 2024-01-01 + 7 us * id: the timestamp bound is exact to the microsecond.
      const ts = await count("ts > '2024-01-01T00:00:00.139986Z'");
      expect(ts.ids[0]).toBe(19_999);
      expect(ts.rows).toBe(1);
      expect((await count("id < 0")).rows).toBe(0);
    } finally {
      await dir.close();
    }
  });
});
