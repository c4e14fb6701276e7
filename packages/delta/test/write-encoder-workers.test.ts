import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createTempDir, runPython, type TempDir, tableOf } from "@mlfusion/testing";
import { type RecordBatch, Table, TimestampMicrosecond, tableToIPC, Utf8, vectorFromArray } from "apache-arrow";
import { parquetMetadata } from "hyparquet";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ParquetEncoderPool, sharedParquetEncoderPool } from "../src/parquet/parquet-encoder-pool.js";
import { encoderSettings, type ParquetEncoder } from "../src/parquet/parquet-writer.js";
import { fromArrowSchema } from "../src/schema/arrow-schema.js";
import { loadSnapshot } from "../src/snapshot/snapshot.js";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import { createDataFileWriter } from "../src/write/data-file-writer.js";
import { writeDeltaTable } from "../src/write/write-delta-table.js";

// Files after the first of an unpartitioned write encode on worker threads when one is idle
// (parquet-encoder-pool.ts). They must be the same files, with the same rows in the same order, as in-thread
// encoding writes, and a failed write must leave no worker busy.

function batchesOf(count: number, rows: number): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let b = 0; b < count; b++) {
    const ids = Array.from({ length: rows }, (_, i) => b * rows + i);
    const table = tableOf({
      id: BigInt64Array.from(ids.map(BigInt)),
      name: vectorFromArray(
        ids.map((i) => (i % 7 === 0 ? null : `name-${i % 1000}`)),
        new Utf8(),
      ),
      score: Float64Array.from(ids.map((i) => i / 3)),
      at: vectorFromArray(
        ids.map((i) => 1_700_000_000_000 + i),
        new TimestampMicrosecond("UTC"),
      ),
    });
    out.push(...table.batches);
  }
  return out;
}

const FILE_ROWS = `
import sys, json
import pyarrow.parquet as pq
out = []
for path in sys.argv[1:]:
    f = pq.ParquetFile(path)
    t = f.read()
    out.append({"rows": t.num_rows, "groups": f.metadata.num_row_groups, "created_by": f.metadata.created_by,
                "ids": [t.column("id")[0].as_py(), t.column("id")[-1].as_py()],
                "names": t.column("name").null_count})
print(json.dumps(out))
`;

describe("Parquet encoding on worker threads", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await createTempDir("encoder-workers-");
  });
  afterEach(async () => {
    await dir.close();
  });

  it("writes the same files, rows and order as encoding in this thread", async () => {
    const batches = batchesOf(24, 5000);
    const schema = fromArrowSchema(batches[0]?.schema ?? (undefined as never));
    const summaries: unknown[] = [];
    const pool = sharedParquetEncoderPool();
    const filesBefore = pool.filesStarted;
    for (const workers of [false, true]) {
      const path = join(dir.path, String(workers));
      const store = createLocalObjectStore(path);
      const writer = createDataFileWriter(store, {
        schema,
        fileSchema: batches[0]?.schema ?? (undefined as never),
        partitionColumns: [],
        targetFileSize: 600 * 1024,
        workers,
      });
      for (const batch of batches) await writer.write(batch);
      const adds = await writer.close();
      expect(adds.length).toBeGreaterThan(3);
      // Only the write with workers hands files to them (every file but the first, while one is idle).
      if (!workers) expect(pool.filesStarted).toBe(filesBefore);
      else expect(pool.filesStarted).toBeGreaterThan(filesBefore);
      const { stdout } = await runPython(
        FILE_ROWS,
        adds.map((a) => join(path, a.path)),
      );
      summaries.push({ files: JSON.parse(stdout), stats: adds.map((a) => a.stats) });
    }
    expect(summaries[1]).toEqual(summaries[0]);
  });

  it("keeps the input order across files through writeDeltaTable (log order, and delta-rs reading)", async () => {
    const store = createLocalObjectStore(dir.path);
    const batches = batchesOf(20, 5000);
    const result = await writeDeltaTable(store, batches, { mode: "append", targetFileSize: 512 * 1024 });
    expect(result.numFiles).toBeGreaterThan(3);
    const snapshot = await loadSnapshot(store);
    const firstIds: number[] = [];
    for (const file of snapshot.files) firstIds.push(JSON.parse(file.stats ?? "{}").minValues.id);
    expect(firstIds).toEqual([...firstIds].sort((a, b) => a - b));
    const script = `
import sys, json
from deltalake import DeltaTable
ids = DeltaTable(sys.argv[1]).to_pyarrow_table(columns=["id"]).column("id").to_pylist()
print(json.dumps({"n": len(ids), "ordered": ids == list(range(len(ids)))}))
`;
    const { stdout } = await runPython(script, [dir.path]);
    expect(JSON.parse(stdout)).toEqual({ n: 100_000, ordered: true });
  });

  it("a write that fails part-way leaves no worker busy and the table unchanged", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, batchesOf(1, 100), { mode: "append" });
    const batches = batchesOf(20, 5000);
    const pool = sharedParquetEncoderPool();
    const filesBefore = pool.filesStarted;
    async function* failing(): AsyncGenerator<RecordBatch> {
      for (const [i, batch] of batches.entries()) {
        if (i === 15) throw new Error("the source broke");
        yield batch;
      }
    }
    await expect(writeDeltaTable(store, failing(), { mode: "append", targetFileSize: 256 * 1024 })).rejects.toThrow(
      "the source broke",
    );
    expect((await loadSnapshot(store)).version).toBe(0);
    expect(pool.filesStarted).toBeGreaterThan(filesBefore);
    await expect.poll(() => pool.idleCount).toBe(pool.workerCount);
    // The next multi-file write gets the workers and succeeds.
    const result = await writeDeltaTable(store, batches, { mode: "append", targetFileSize: 256 * 1024 });
    expect(result.numFiles).toBeGreaterThan(3);
    expect((await loadSnapshot(store)).files.length).toBe(1 + result.numFiles);
    const log = await readFile(join(dir.path, "_delta_log", "00000000000000000001.json"), "utf8");
    expect(log).toContain('"operation":"WRITE"');
  });
});

describe("ParquetEncoderPool", () => {
  const settings = encoderSettings([]);
  const drain = async (encoder: ParquetEncoder): Promise<Uint8Array> => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of encoder.output) chunks.push(chunk);
    return Buffer.concat(chunks);
  };
  const ipcBatches = () => batchesOf(4, 2000).map((b) => tableToIPC(new Table([b]), "stream"));
  const started = (pool: ParquetEncoderPool) => {
    const encoder = pool.tryStart(settings, 1 << 20);
    if (encoder === undefined) throw new Error("no worker");
    return encoder;
  };

  it("fails a file with no batches or an unreadable batch with INTERNAL, and replaces that worker", async () => {
    const pool = new ParquetEncoderPool(1, 60_000);
    try {
      const empty = started(pool);
      await empty.close();
      await expect(drain(empty)).rejects.toMatchObject({ code: "INTERNAL" });
      expect(pool.workerCount).toBe(0);
      const garbage = started(pool);
      await garbage.write(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
      await garbage.close();
      await expect(drain(garbage)).rejects.toMatchObject({ code: "INTERNAL" });
      expect(pool.workerCount).toBe(0);
      // A new worker encodes the next file completely.
      const good = started(pool);
      for (const ipc of ipcBatches()) await good.write(ipc);
      await good.close();
      const bytes = await drain(good);
      expect(Number(parquetMetadata(new Uint8Array(bytes).buffer).num_rows)).toBe(8000);
      expect(pool.idleCount).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it("waits for the worker to take batches beyond its budget, and an abort frees the worker", async () => {
    const pool = new ParquetEncoderPool(1, 60_000);
    try {
      const tight = pool.tryStart(settings, 1);
      if (tight === undefined) throw new Error("no worker");
      for (const ipc of ipcBatches()) await tight.write(ipc);
      await tight.close();
      expect((await drain(tight)).byteLength).toBeGreaterThan(0);
      const aborted = started(pool);
      for (const ipc of ipcBatches()) await aborted.write(ipc);
      await aborted.abort(new Error("the client went away"));
      await expect(drain(aborted)).rejects.toThrow("the client went away");
      await expect.poll(() => pool.idleCount).toBe(1);
      expect(pool.workerCount).toBe(1);
    } finally {
      await pool.close();
    }
  });
});
