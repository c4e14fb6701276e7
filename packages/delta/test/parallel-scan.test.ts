import { existsSync } from "node:fs";
import { join } from "node:path";
import { FusionError } from "@mlfusion/core";
import { createTempDir, deltaConformanceRoot, runPython, type TempDir } from "@mlfusion/testing";
import { tableFromArrays } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ParquetWorkerPool, sharedParquetWorkerPool } from "../src/parquet/parquet-worker-pool.js";
import type { ScanOptions } from "../src/scan/scan.js";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import { DeltaTable } from "../src/table.js";
import { writeDeltaTable } from "../src/write/write-delta-table.js";
import { oneFileTable } from "./one-file-table.js";
import { rowKeys } from "./row-multiset.js";

// Parallel decoding (ScanOptions.parallel: row groups of local files decoded ahead of the consumer, natively on
// libuv's threads or by parquet-wasm on worker threads) must give exactly the serial rows in the same order, and
// leave no busy or lingering worker behind.

const ROWS = 20_000;
const GROUP_ROWS = 3_000;

/** Writes one Parquet file of ROWS rows in row groups of GROUP_ROWS (pyarrow) into `dir`. */
const WRITE_FILE = `
import sys
import pyarrow as pa, pyarrow.parquet as pq
n, group = int(sys.argv[2]), int(sys.argv[3])
ids = pa.array(range(n), pa.int64())
s = pa.array([None if i % 97 == 0 else f"v{i % 1000}" for i in range(n)], pa.string())
pq.write_table(pa.table({"id": ids, "s": s}), sys.argv[1], row_group_size=group, compression="snappy")
`;

async function orderedRows(table: DeltaTable, options: ScanOptions): Promise<string[]> {
  const rows: string[] = [];
  for await (const batch of table.scan(options)) rows.push(...rowKeys(batch));
  return rows;
}

describe("parallel scan", () => {
  let dir: TempDir;
  let file: string;

  beforeAll(async () => {
    dir = await createTempDir("parallel-scan-");
    file = join(dir.path, "part-0.parquet");
    await runPython(WRITE_FILE, [file, String(ROWS), String(GROUP_ROWS)]);
    await oneFileTable(
      dir.path,
      "part-0.parquet",
      [
        { name: "id", type: "long" },
        { name: "s", type: "string" },
      ],
      ROWS,
    );
  });
  afterAll(async () => {
    await dir?.close();
  });

  it("returns the serial rows in the same order from a file split into row groups", async () => {
    const table = await DeltaTable.open(createLocalObjectStore(dir.path));
    // The reference: parquet-wasm in this thread.
    const serial = await orderedRows(table, { parallel: false, decoder: "wasm", batchSize: 1_000 });
    expect(serial).toHaveLength(ROWS);
    for (const decoder of ["auto", "wasm"] as const) {
      expect(await orderedRows(table, { parallel: true, decoder, batchSize: 1_000 }), decoder).toEqual(serial);
      const filter = "id >= 4000 AND id < 13000 AND s IS NOT NULL";
      expect(await orderedRows(table, { filter, columns: ["s"], parallel: true, decoder }), decoder).toEqual(
        await orderedRows(table, { filter, columns: ["s"], parallel: false, decoder: "wasm" }),
      );
    }
  });

  it("with parquet-wasm, decodes local files on worker threads, one at a time below a million rows", async () => {
    const pool = sharedParquetWorkerPool();
    const small = createLocalObjectStore(join(dir.path, "small"));
    await writeDeltaTable(small, tableFromArrays({ id: BigInt64Array.from({ length: 1000 }, (_, i) => BigInt(i)) }), {
      mode: "append",
    });
    let before = pool.tasksStarted;
    expect(await orderedRows(await DeltaTable.open(small), { decoder: "wasm" })).toHaveLength(1000);
    expect(pool.tasksStarted).toBe(before + 1);

    const large = createLocalObjectStore(join(dir.path, "large"));
    const n = 1_100_000;
    await writeDeltaTable(large, tableFromArrays({ id: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)) }), {
      mode: "append",
    });
    const table = await DeltaTable.open(large);
    before = pool.tasksStarted;
    // Every id once, in order (the file holds them ascending in two row groups).
    let next = 0n;
    for await (const batch of table.scan({ decoder: "wasm" })) {
      for (const id of batch.getChild("id") ?? []) {
        if (id !== next) throw new Error(`row ${next} read as ${id}`);
        next++;
      }
    }
    expect(next).toBe(BigInt(n));
    expect(pool.tasksStarted).toBeGreaterThanOrEqual(before + 2); // one task per row group
  });

  const root = deltaConformanceRoot();
  const dvTables = ["delta-golden/dv-partitioned-with-checkpoint", "delta-golden/dv-with-columnmapping"];
  it.skipIf(root === undefined)(
    "applies deletion vectors, column mapping and partition values like the serial scan (skipped when ../shared/delta-conformance is absent)",
    async () => {
      for (const name of dvTables) {
        const path = join(root ?? "", name);
        expect(existsSync(path), path).toBe(true);
        const table = await DeltaTable.open(createLocalObjectStore(path));
        const serial = await orderedRows(table, { parallel: false, decoder: "wasm", batchSize: 5 });
        expect(serial.length, name).toBeGreaterThan(0);
        for (const decoder of ["auto", "wasm"] as const) {
          expect(await orderedRows(table, { parallel: true, decoder, batchSize: 5 }), name).toEqual(serial);
        }
      }
    },
  );

  it("frees the worker of a task whose consumer stops early", async () => {
    const pool = new ParquetWorkerPool(1);
    try {
      for (let i = 0; i < 3; i++) {
        let batches = 0;
        for await (const _ of pool.decode(file, { batchSize: 500 })) {
          batches += 1;
          if (batches === 2) break;
        }
        expect(batches).toBe(2);
      }
      // With one worker, this task can only run if the cancelled ones gave it back.
      let rows = 0;
      for await (const batch of pool.decode(file, { batchSize: 5_000 })) rows += batch.numRows;
      expect(rows).toBe(ROWS);
      expect(pool.workerCount).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it("stops idle workers after the idle time, and starts new ones when used again", async () => {
    const pool = new ParquetWorkerPool(2, 50);
    const drain = async (): Promise<number> => {
      let rows = 0;
      const tasks = [pool.decode(file, { rowGroups: [0, 1] }), pool.decode(file, { rowGroups: [2] })];
      for (const task of tasks) for await (const batch of task) rows += batch.numRows;
      return rows;
    };
    try {
      expect(await drain()).toBe(3 * GROUP_ROWS);
      expect(pool.workerCount).toBe(2);
      await vi.waitFor(() => expect(pool.workerCount).toBe(0), { timeout: 5_000, interval: 20 });
      expect(await drain()).toBe(3 * GROUP_ROWS);
    } finally {
      await pool.close();
    }
  });

  it("fails running and queued tasks when the pool is closed", async () => {
    const pool = new ParquetWorkerPool(1);
    const running = pool.decode(file, { batchSize: 100 });
    const queued = pool.decode(file, { batchSize: 100 });
    const iterator = running[Symbol.asyncIterator]();
    await iterator.next();
    await pool.close();
    const drain = async (task: AsyncIterable<unknown>): Promise<void> => {
      for await (const _ of task) {
        // consume
      }
    };
    await expect(drain({ [Symbol.asyncIterator]: () => iterator })).rejects.toBeInstanceOf(FusionError);
    await expect(drain(queued)).rejects.toThrow(/pool was closed/);
  });
});
