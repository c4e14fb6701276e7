import { mkdir, open, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { CorruptTableError, NotFoundError } from "@mlfusion/core";
import { createTempDir, deltaConformanceRoot, runPython, type TempDir } from "@mlfusion/testing";
import { type RecordBatch, type Table, tableFromArrays } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nativeDecoderStatus, nativeParquetDecoder } from "../src/parquet/native-decoder.js";
import { readParquetBatches } from "../src/parquet/parquet-reader.js";
import type { ScanOptions } from "../src/scan/scan.js";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import { DeltaTable } from "../src/table.js";
import { writeDeltaTable } from "../src/write/write-delta-table.js";
import { discover } from "./conformance-cases.js";
import { oneFileTable } from "./one-file-table.js";
import { rowKeys } from "./row-multiset.js";

// The native Parquet decoder (arrow-rs through Node-API, docs/adr/0006-native-parquet-decoding.md) reads local
// tables by default. It must be built, and it must read every table exactly as parquet-wasm does (the same types,
// the same rows in the same order), fail as clearly on broken files, and stop cleanly when the consumer stops.

/** Ordered rows and the Arrow schema of a scan, or the error it failed with. */
async function readOrFail(path: string, options: ScanOptions): Promise<{ rows: string[]; schema: string } | Error> {
  try {
    const table = await DeltaTable.open(createLocalObjectStore(path));
    const rows: string[] = [];
    let schema = "";
    for await (const batch of table.scan(options)) {
      schema ||= batch.schema.fields.map((f) => `${f.name}: ${f.type} ${f.nullable}`).join(", ");
      rows.push(...rowKeys(batch));
    }
    return { rows, schema };
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** Writes `data` as one data file per `rows` rows (one append each). */
async function writeFiles(path: string, data: Table, rows: number): Promise<void> {
  for (let start = 0; start < data.numRows; start += rows) {
    await writeDeltaTable(createLocalObjectStore(path), data.slice(start, start + rows), { mode: "append" });
  }
}

/** The native decoder; tests that count its batches fail with the reason when it is not built. */
function requireDecoder(): NonNullable<ReturnType<typeof nativeParquetDecoder>> {
  const decoder = nativeParquetDecoder();
  if (decoder === undefined)
    throw new Error(`the native decoder is not loaded: ${JSON.stringify(nativeDecoderStatus())}`);
  return decoder;
}

const WASM: ScanOptions = { decoder: "wasm", parallel: false };

describe("native Parquet decoder", () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await createTempDir("native-decoder-");
  });
  afterAll(async () => {
    await dir?.close();
  });

  it("is built and loaded (npm run build builds it when Rust's cargo is installed)", () => {
    const status = nativeDecoderStatus();
    expect(status.loaded ? "loaded" : status.reason).toBe("loaded");
  });

  const root = deltaConformanceRoot();
  it.skipIf(root === undefined)(
    "reads every conformance table like parquet-wasm: the same schema and rows in the same order, or the same error (skipped when ../shared/delta-conformance is absent)",
    async () => {
      let compared = 0;
      for (const c of discover(root ?? "")) {
        if (c.noLog === true) continue;
        const wasm = await readOrFail(c.table, WASM);
        const native = await readOrFail(c.table, {});
        if (wasm instanceof Error) {
          expect(native, c.name).toBeInstanceOf(Error);
          expect((native as Error).message, c.name).toBe(wasm.message);
          continue;
        }
        expect(native, c.name).not.toBeInstanceOf(Error);
        expect(native, c.name).toEqual(wasm);
        compared++;
      }
      expect(compared).toBeGreaterThan(100);
    },
    300_000,
  );

  it("reads every column type with nulls like parquet-wasm, serially and in parallel, at any batch size", async () => {
    const path = join(dir.path, "types");
    const n = 5_000;
    const data = tableFromArrays({
      i8: Int8Array.from({ length: n }, (_, i) => (i % 256) - 128),
      u32: Uint32Array.from({ length: n }, (_, i) => i * 7919),
      i64: BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 1_000_000_007n),
      f32: Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? Number.NaN : i / 3)),
      f64: Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? -0 : i * 1.5)),
      s: Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : `text-${i % 123}-é`)),
      b: Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : i % 2 === 0)),
    });
    await writeFiles(path, data, 1_500);
    const wasm = await readOrFail(path, WASM);
    expect(wasm).not.toBeInstanceOf(Error);
    expect((wasm as { rows: string[] }).rows).toHaveLength(n);
    const counts = requireDecoder().batches;
    const before = { ...counts };
    for (const options of [{}, { parallel: false }, { batchSize: 1 }, { batchSize: 777, parallel: true }]) {
      expect(await readOrFail(path, options), JSON.stringify(options)).toEqual(wasm);
    }
    const filtered: ScanOptions = { filter: "i64 > 2000000014000 AND s IS NOT NULL", columns: ["s", "i8"] };
    expect(await readOrFail(path, filtered)).toEqual(await readOrFail(path, { ...filtered, ...WASM }));
    // These types are handed over without a copy (no IPC).
    expect(counts.exported).toBeGreaterThan(before.exported);
    expect(counts.ipc).toBe(before.ipc);
  });

  it("reads batches the addon hands over as IPC (dictionary and duration columns) like parquet-wasm, and large strings without IPC", async () => {
    // pyarrow stores the Arrow schema in the file, so arrow-rs reads these columns back as their Arrow types.
    const path = join(dir.path, "ipc-types");
    await mkdir(path);
    await runPython(
      `
import sys
import pyarrow as pa, pyarrow.parquet as pq
n = 3000
c = pa.array([None if i % 9 == 0 else f"category-{i % 5}" for i in range(n)]).dictionary_encode()
d = pa.array([None if i % 7 == 0 else i * 1000 for i in range(n)], pa.duration("us"))
l = pa.array([None if i % 11 == 0 else f"large-{i}" for i in range(n)], pa.large_string())
pq.write_table(pa.table({"id": pa.array(range(n), pa.int64()), "c": c, "d": d, "l": l}), sys.argv[1], row_group_size=1000)
`,
      [join(path, "part-0.parquet")],
    );
    await oneFileTable(
      path,
      "part-0.parquet",
      [
        { name: "id", type: "long" },
        { name: "c", type: "string" },
        { name: "d", type: "long" },
        { name: "l", type: "string" },
      ],
      3000,
    );
    const counts = requireDecoder().batches;
    const before = counts.ipc;
    const native = await readOrFail(path, {});
    expect(native).not.toBeInstanceOf(Error);
    expect((native as { rows: string[] }).rows).toHaveLength(3000);
    expect(native).toEqual(await readOrFail(path, WASM));
    expect(counts.ipc).toBeGreaterThan(before);
    const exported = counts.exported;
    const large: ScanOptions = { columns: ["id", "l"] };
    expect(await readOrFail(path, large)).toEqual(await readOrFail(path, { ...large, ...WASM }));
    expect(counts.exported).toBeGreaterThan(exported);
  });

  it("decodes every Arrow type a Parquet file holds like parquet-wasm: nested at any depth, nulls everywhere, any batch size", async () => {
    const file = join(dir.path, "all-types.parquet");
    await runPython(
      `
import sys, decimal, datetime
import pyarrow as pa, pyarrow.parquet as pq
n = 2500
def nz(f, every=7):
    return [None if i % every == 3 else f(i) for i in range(n)]
cols = {
  "i8": pa.array(nz(lambda i: (i % 256) - 128), pa.int8()),
  "u16": pa.array(nz(lambda i: i * 31 % 65536), pa.uint16()),
  "u64": pa.array(nz(lambda i: 2**64 - 1 - i), pa.uint64()),
  "f32": pa.array(nz(lambda i: i / 3), pa.float32()),
  "b": pa.array(nz(lambda i: i % 3 == 0), pa.bool_()),
  "d": pa.array(nz(lambda i: decimal.Decimal(i * 10**20 + 12345) / 10**10 * (-1 if i % 2 else 1)), pa.decimal128(38, 10)),
  "date32": pa.array(nz(lambda i: datetime.date(1970, 1, 1) + datetime.timedelta(days=i * 13 - 20000)), pa.date32()),
  "date64": pa.array(nz(lambda i: datetime.date(1970, 1, 1) + datetime.timedelta(days=i * 17)), pa.date64()),
  "t32": pa.array(nz(lambda i: i * 77777 % 86400000), pa.time32("ms")),
  "t64": pa.array(nz(lambda i: i * 777777777 % 86400000000000), pa.time64("ns")),
  "tsz": pa.array(nz(lambda i: i * 100000000), pa.timestamp("ms", tz="Europe/Paris")),
  "tsn": pa.array(nz(lambda i: i * 10**12 + 7), pa.timestamp("ns")),
  "s": pa.array(nz(lambda i: "é" * (i % 4) + str(i)), pa.string()),
  "ls": pa.array(nz(lambda i: "large" + str(i)), pa.large_string()),
  "bin": pa.array(nz(lambda i: bytes([i % 256]) * (i % 5)), pa.binary()),
  "fsb": pa.array(nz(lambda i: bytes([(i + k) % 256 for k in range(5)])), pa.binary(5)),
  "nul": pa.array([None] * n, pa.null()),
  "list": pa.array(nz(lambda i: [None if (i + k) % 6 == 0 else i * 10 + k for k in range(i % 4)], 9), pa.list_(pa.int64())),
  "fsl": pa.array(nz(lambda i: [None if (i + k) % 5 == 0 else float(i + k) for k in range(3)]), pa.list_(pa.float64(), 3)),
  "map": pa.array(nz(lambda i: [(f"k{k}", None if (i + k) % 4 == 0 else i * k) for k in range(i % 4)]), pa.map_(pa.string(), pa.int64())),
  "st": pa.array(nz(lambda i: {"a": None if i % 5 == 0 else i, "c": None if i % 11 == 0 else {"l": None if i % 13 == 0 else [[None if k == 1 else k + i for k in range(i % 3)]], "e": i / 7}}),
    pa.struct([("a", pa.int32()), ("c", pa.struct([("l", pa.list_(pa.list_(pa.int16()))), ("e", pa.float64())]))])),
}
pq.write_table(pa.table(cols), sys.argv[1], row_group_size=1000, data_page_size=2000)
`,
      [file],
    );
    const decoder = nativeParquetDecoder();
    if (decoder === undefined)
      throw new Error(`the native decoder is not loaded: ${JSON.stringify(nativeDecoderStatus())}`);
    const exported = decoder.batches.exported;
    const describe = (batches: RecordBatch[]) => ({
      schema: batches[0]?.schema.fields.map((f) => `${f.name}: ${f.type} ${f.nullable}`),
      rows: batches.flatMap((b) => rowKeys(b)),
    });
    for (const batchSize of [1, 7, 1000, 4096]) {
      const native: RecordBatch[] = [];
      for await (const batch of decoder.decode(file, { batchSize })) native.push(batch);
      const wasm: RecordBatch[] = [];
      for await (const batch of readParquetBatches(createLocalObjectStore(dir.path), "all-types.parquet", {
        batchSize,
      })) {
        wasm.push(batch);
      }
      expect(describe(native).rows, `batch size ${batchSize}`).toHaveLength(2500);
      expect(describe(native), `batch size ${batchSize}`).toEqual(describe(wasm));
    }
    expect(decoder.batches.exported).toBeGreaterThan(exported);
  }, 120_000);

  it("ends a scan at the next batch when its signal aborts, with an AbortError", async () => {
    const path = join(dir.path, "abort");
    await writeFiles(
      path,
      tableFromArrays({ id: BigInt64Array.from({ length: 200_000 }, (_, i) => BigInt(i)) }),
      200_000,
    );
    const table = await DeltaTable.open(createLocalObjectStore(path));
    const controller = new AbortController();
    let afterAbort = 0;
    const failure = await (async () => {
      try {
        for await (const _ of table.scan({ batchSize: 1_000, signal: controller.signal })) {
          if (controller.signal.aborted) afterAbort++;
          controller.abort();
        }
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(afterAbort).toBe(0);
    expect((failure as Error | undefined)?.name).toBe("AbortError");
  });

  it("stops early without leaving decoding behind, and reads again afterwards", async () => {
    const path = join(dir.path, "early-stop");
    const n = 200_000;
    await writeFiles(path, tableFromArrays({ id: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)) }), 20_000);
    const table = await DeltaTable.open(createLocalObjectStore(path));
    for (let round = 0; round < 3; round++) {
      for await (const batch of table.scan({ batchSize: 100 })) {
        expect(batch.numRows).toBe(100);
        break;
      }
    }
    let rows = 0;
    for await (const batch of table.scan({})) rows += batch.numRows;
    expect(rows).toBe(n);
  });

  it("fails with CorruptTableError on a data file damaged inside, and NotFoundError when one is missing", async () => {
    const path = join(dir.path, "damaged");
    const n = 50_000;
    await writeDeltaTable(
      createLocalObjectStore(path),
      tableFromArrays({
        id: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)),
        s: Array.from({ length: n }, (_, i) => `row ${i} ${"x".repeat(i % 17)}`),
      }),
      { mode: "error" },
    );
    const [file] = (await readdir(path)).filter((f) => f.endsWith(".parquet"));
    if (file === undefined) throw new Error("no data file written");
    // Overwrite bytes in the middle of the column data; the footer stays intact, so the file opens.
    const handle = await open(join(path, file), "r+");
    const { size } = await handle.stat();
    await handle.write(Buffer.alloc(4096, 0xa5), 0, 4096, Math.floor(size / 3));
    await handle.close();
    const native = await readOrFail(path, {});
    expect(native).toBeInstanceOf(CorruptTableError);
    expect((native as Error).message).toContain(file);
    // parquet-wasm decodes local files on worker threads, where a wasm trap on such a file becomes an error.
    for (const parallel of [true, false]) {
      expect(await readOrFail(path, { decoder: "wasm", parallel })).toBeInstanceOf(CorruptTableError);
    }

    const table = await DeltaTable.open(createLocalObjectStore(path));
    await rm(join(path, file));
    const missing = await (async () => {
      try {
        for await (const _ of table.scan({})) {
          // draining
        }
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(missing).toBeInstanceOf(NotFoundError);
  });
});
