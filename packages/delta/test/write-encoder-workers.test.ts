import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createTempDir, runPython, type TempDir, tableOf } from "@mlfusion/testing";
import { type RecordBatch, TimestampMicrosecond, Utf8, vectorFromArray } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sharedParquetEncoderPool } from "../src/parquet/parquet-encoder-pool.js";
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
      const { stdout } = await runPython(
        FILE_ROWS,
        adds.map((a) => join(path, a.path)),
      );
      summaries.push({ files: JSON.parse(stdout), stats: adds.map((a) => a.stats) });
    }
    expect(summaries[1]).toEqual(summaries[0]);
    // The pool did take part: its workers stay (idle) for a few seconds after a write.
    expect(sharedParquetEncoderPool().workerCount).toBeGreaterThan(0);
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
    const pool = sharedParquetEncoderPool();
    expect(pool.workerCount).toBeGreaterThan(0);
    await expect.poll(() => pool.idleCount).toBe(pool.workerCount);
    // The next multi-file write gets the workers and succeeds.
    const result = await writeDeltaTable(store, batches, { mode: "append", targetFileSize: 256 * 1024 });
    expect(result.numFiles).toBeGreaterThan(3);
    expect((await loadSnapshot(store)).files.length).toBe(1 + result.numFiles);
    const log = await readFile(join(dir.path, "_delta_log", "00000000000000000001.json"), "utf8");
    expect(log).toContain('"operation":"WRITE"');
  });
});
