import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTempDir, runPython, type TempDir } from "@mlfusion/testing";
import { type RecordBatch, Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSnapshot } from "../src/snapshot/snapshot.js";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import { DeltaTable } from "../src/table.js";
import { writeDeltaTable } from "../src/write/write-delta-table.js";

// Every Arrow type the platform carries, with nulls everywhere, written by writeDeltaTable and read back by
// pyarrow (the data file) and delta-rs (the table). pyarrow builds the input, so the expected values are
// pyarrow's own, cast to the physical Delta types the files must hold.

const MAKE_INPUT = `
import sys, decimal, datetime
import pyarrow as pa, pyarrow.ipc as ipc
n = None
big = decimal.Decimal("1234567890123456789012345678.9012345678")
cols = {
  "i8": pa.array([-128, 0, n, 127], pa.int8()),
  "i16": pa.array([-32768, n, 1, 32767], pa.int16()),
  "i32": pa.array([-2**31, 2**31 - 1, n, 0], pa.int32()),
  "i64": pa.array([-2**63, 2**63 - 1, n, 5], pa.int64()),
  "u8": pa.array([0, 255, n, 1], pa.uint8()),
  "u16": pa.array([0, 65535, 7, n], pa.uint16()),
  "u32": pa.array([n, 2**32 - 1, 0, 3], pa.uint32()),
  "u64": pa.array([0, 2**64 - 1, n, 2**63], pa.uint64()),
  "f32": pa.array([float("nan"), float("inf"), -0.0, n], pa.float32()),
  "f64": pa.array([float("-inf"), -0.0, float("nan"), 1.5e308], pa.float64()),
  "flag": pa.array([True, n, False, True]),
  "dec": pa.array([big, -big, n, decimal.Decimal("0.0000000001")], pa.decimal128(38, 10)),
  "day": pa.array([datetime.date(1, 1, 1), datetime.date(9999, 12, 31), n, datetime.date(1970, 1, 1)], pa.date32()),
  "ts": pa.array([0, -1, n, 253402300799999999], pa.timestamp("us", tz="UTC")),
  "ts_ny": pa.array([1_700_000_000_123_456_789, n, -5, 0], pa.timestamp("ns", tz="America/New_York")),
  "ts_ms": pa.array([n, 1_700_000_000_123, 0, -1], pa.timestamp("ms", tz="UTC")),
  "ntz": pa.array([0, n, 1_700_000_000_000_001, -1], pa.timestamp("us")),
  "s": pa.array(["", "ünïcødé ✓", n, "x" * 100]),
  "ls": pa.array(["a", n, "", "long"], pa.large_string()),
  "bin": pa.array([b"", b"\\x00\\xff", n, b"abc"], pa.binary()),
  "st": pa.array([{"a": 1, "b": "x"}, n, {"a": n, "b": n}, {"a": 2, "b": "y"}],
                 pa.struct([("a", pa.int32()), ("b", pa.string())])),
  "lst": pa.array([[1, n, 3], n, [], [4]], pa.list_(pa.int32())),
  "mp": pa.array([[("k", 1), ("z", n)], n, [], [("q", 2)]], pa.map_(pa.string(), pa.int32())),
  "dict": pa.array(["red", n, "blue", "red"], pa.string()).dictionary_encode(),
}
table = pa.table(cols)
with ipc.new_file(sys.argv[1], table.schema) as w:
    w.write_table(table)
`;

const CHECK = `
import sys, json, math, glob
import pyarrow as pa, pyarrow.ipc as ipc, pyarrow.parquet as pq, pyarrow.compute as pc
from deltalake import DeltaTable
source = ipc.open_file(sys.argv[1]).read_all()
physical = {
  "u8": pa.int16(), "u16": pa.int32(), "u32": pa.int64(), "u64": pa.decimal128(20, 0),
  "ls": pa.string(), "dict": pa.string(),
  "ts_ny": pa.timestamp("us", tz="UTC"), "ts_ms": pa.timestamp("us", tz="UTC"),
}
def norm(v):
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, tuple):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    return repr(v)
def column(table, name):
    return norm(table.column(name).to_pylist())
expected = {}
for name in source.column_names:
    col = source.column(name)
    target = physical.get(name)
    if name == "ts_ny":
        # Nanoseconds floor to the microsecond that contains them (pyarrow's cast truncates toward zero).
        nanos = pc.cast(col, pa.int64()).to_pylist()
        col = pa.array([None if v is None else v // 1000 for v in nanos], pa.int64()).cast(target)
    elif target is not None:
        col = pc.cast(col, target, safe=False)
    expected[name] = norm(col.to_pylist())
problems = []
delta = DeltaTable(sys.argv[2]).to_pyarrow_table()
files = glob.glob(sys.argv[2] + "/*.parquet")
parquet = pq.read_table(files[0])
for reader, table in (("deltalake", delta), ("pyarrow.parquet", parquet)):
    for name in source.column_names:
        got = column(table, name)
        if got != expected[name]:
            problems.append(f"{reader} {name}: {got} != {expected[name]}")
# DuckDB (no delta extension offline) reads the data file itself: same rows and null counts per column.
import duckdb
con = duckdb.connect()
counts = con.execute(
    "select count(*), " + ", ".join(f'count("{n}")' for n in parquet.column_names) + f" from read_parquet('{files[0]}')"
).fetchone()
expected_counts = (parquet.num_rows, *[parquet.num_rows - parquet.column(n).null_count for n in parquet.column_names])
if tuple(counts) != expected_counts:
    problems.append(f"duckdb counts {counts} != {expected_counts}")
print(json.dumps({"problems": problems, "files": len(files), "types": {f.name: str(f.type) for f in delta.schema}}))
`;

const ROUND_TRIP = `
import sys, json, math
import pyarrow.ipc as ipc
source = ipc.open_file(sys.argv[1]).read_all()
ours = ipc.open_file(sys.argv[2]).read_all()
def norm(v):
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    return repr(v)
problems = []
for name in source.column_names:
    a, b = source.column(name), ours.column(name)
    # The list element's field name ("element", the Parquet/Delta convention, vs pyarrow's "item") is not data.
    if str(a.type).replace("element:", "item:") != str(b.type).replace("element:", "item:"):
        problems.append(f"{name}: type {b.type} != {a.type}")
    elif norm(a.to_pylist()) != norm(b.to_pylist()):
        problems.append(f"{name}: {norm(b.to_pylist())} != {norm(a.to_pylist())}")
print(json.dumps(problems))
`;

describe("types", () => {
  let dir: TempDir;
  let tablePath: string;
  let inputPath: string;
  beforeAll(async () => {
    dir = await createTempDir("delta-types-");
    inputPath = join(dir.path, "input.arrow");
    tablePath = join(dir.path, "table");
    await runPython(MAKE_INPUT, [inputPath]);
  });
  afterAll(async () => {
    await dir.close();
  });

  it("every type with nulls is written as its physical Delta type and read identically by pyarrow, delta-rs and DuckDB", async () => {
    const input = tableFromIPC(await readFile(inputPath));
    const store = createLocalObjectStore(tablePath);
    await writeDeltaTable(store, input, { mode: "error" });
    const { stdout } = await runPython(CHECK, [inputPath, tablePath]);
    const result: { problems: string[]; files: number; types: Record<string, string> } = JSON.parse(stdout);
    expect(result.problems).toEqual([]);
    expect(result.files).toBe(1);
    expect(result.types).toMatchObject({
      u64: "decimal128(20, 0)",
      ntz: "timestamp[us]",
      mp: expect.stringContaining("map"),
    });
    const snapshot = await loadSnapshot(store);
    expect(snapshot.protocol).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ["timestampNtz"],
      writerFeatures: ["timestampNtz"],
    });
    const stats = JSON.parse(snapshot.files[0]?.stats ?? "{}");
    expect(stats.numRecords).toBe(4);
    expect(stats.nullCount).toMatchObject({ i8: 1, u64: 1, st: { a: 2, b: 2 }, dict: 1 });
    expect(stats.minValues).toMatchObject({
      day: "0001-01-01",
      ts: "1969-12-31T23:59:59.999Z",
      ntz: "1969-12-31T23:59:59.999",
      s: "",
      st: { a: 1, b: "x" },
    });
    // 64-bit bounds are written exactly, not through a double.
    expect(snapshot.files[0]?.stats).toContain('"i64":-9223372036854775808');
    // (Python's unary minus rounds the Decimal to 28 digits, so the input holds this value.)
    expect(snapshot.files[0]?.stats).toContain('"dec":-1234567890123456789012345679.0000000000');
    expect(snapshot.files[0]?.stats).toContain('"dec":1234567890123456789012345678.9012345678');
    expect(stats.maxValues).toMatchObject({ day: "9999-12-31", u8: 255, st: { a: 2, b: "y" } });
    const read: RecordBatch[] = [];
    for await (const batch of (await DeltaTable.open(store)).scan()) read.push(batch);
    const oursPath = join(dir.path, "ours.arrow");
    await writeFile(oursPath, tableToIPC(new Table(read), "file"));
    // Our reader applies the mlfusion.arrowType hints: every type comes back exactly (ns timestamps at us precision).
    const mismatches: string[] = JSON.parse((await runPython(ROUND_TRIP, [inputPath, oursPath])).stdout);
    expect(mismatches.filter((m) => !m.startsWith("ts_ny:"))).toEqual([]);
    expect(stats.maxValues.s).toBe("ünïcødé ✓"); // UTF-8 byte order, as Parquet and Delta compare strings
  });
});
