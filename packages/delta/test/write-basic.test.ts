import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { AlreadyExistsError, InvalidArgumentError } from "@mlfusion/core";
import { createTempDir, type TempDir, tableOf } from "@mlfusion/testing";
import { Bool, type RecordBatch, type Table, TimestampMicrosecond, Utf8, vectorFromArray } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadSnapshot } from "../src/snapshot/snapshot.js";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import { writeDeltaTable } from "../src/write/write-delta-table.js";
import { readWithDeltalake } from "./write-helpers.js";

function people(ids: number[], extra: Record<string, unknown[]> = {}): Table {
  return tableOf({
    id: BigInt64Array.from(ids.map(BigInt)),
    name: vectorFromArray(
      ids.map((i) => (i % 3 === 0 ? null : `name-${i}`)),
      new Utf8(),
    ),
    score: Float64Array.from(ids.map((i) => i / 2)),
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, vectorFromArray(v)])),
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe("writeDeltaTable", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await createTempDir("delta-write-");
  });
  afterEach(async () => {
    await dir.close();
  });

  it("creates, appends and overwrites a table that delta-rs reads with the same rows, versions and history", async () => {
    const store = createLocalObjectStore(dir.path);
    const created = await writeDeltaTable(store, people([1, 2, 3]), { mode: "error", name: "people" });
    expect(created).toMatchObject({ version: 0, numRows: 3, numFiles: 1 });
    const appended = await writeDeltaTable(store, people([4, 5]), { mode: "append" });
    expect(appended.version).toBe(1);

    const v1 = await readWithDeltalake(dir.path, "id");
    expect(v1.version).toBe(1);
    expect(v1.rows).toEqual(
      [1, 2, 3, 4, 5].map((i) => ({ id: i, name: i % 3 === 0 ? null : `name-${i}`, score: i / 2 })),
    );
    expect(v1.history.map((h) => [h.version, h.operation])).toEqual([
      [1, "WRITE"],
      [0, "CREATE TABLE"],
    ]);

    const overwritten = await writeDeltaTable(store, people([10]), { mode: "overwrite" });
    expect(overwritten.version).toBe(2);
    const v2 = await readWithDeltalake(dir.path, "id");
    expect(v2.rows).toEqual([{ id: 10, name: "name-10", score: 5 }]);
    const v0 = await readWithDeltalake(dir.path, "id", 0);
    expect(v0.rows.map((r) => r.id)).toEqual([1, 2, 3]);

    const snapshot = await loadSnapshot(store);
    expect(snapshot.metadata.name).toBe("people");
    expect(snapshot.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    const stats = JSON.parse(snapshot.files[0]?.stats ?? "{}");
    expect(stats).toEqual({
      numRecords: 1,
      minValues: { id: 10, name: "name-10", score: 5 },
      maxValues: { id: 10, name: "name-10", score: 5 },
      nullCount: { id: 0, name: 0, score: 0 },
    });
  });

  it("honours error and ignore modes on an existing table", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, people([1]), { mode: "append" });
    await expect(writeDeltaTable(store, people([2]), { mode: "error" })).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(await writeDeltaTable(store, people([2]), { mode: "ignore" })).toMatchObject({ version: 0, skipped: true });
    expect((await loadSnapshot(store)).version).toBe(0);
  });

  it("rejects a mismatched append with one error listing every column, and writes nothing", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, people([1]), { mode: "append" });
    const before = await filesUnder(dir.path);
    const bad = tableOf({
      id: Int32Array.from([1]),
      name: vectorFromArray(["x"]),
      extra: vectorFromArray(["y"]),
    });
    const error = await writeDeltaTable(store, bad, { mode: "append" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    const message = error instanceof Error ? error.message : "";
    expect(message).toContain("column id has type integer but the table has long");
    expect(message).toContain("column extra (string) is not in the table");
    expect(await filesUnder(dir.path)).toEqual(before);
  });

  it("merges new columns as nullable and overwrites the schema on request", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, people([1]), { mode: "append" });
    await writeDeltaTable(store, people([2], { flag: [true] }), { mode: "append", schemaMode: "merge" });
    const merged = await readWithDeltalake(dir.path, "id");
    expect(merged.rows).toEqual([
      { id: 1, name: "name-1", score: 0.5, flag: null },
      { id: 2, name: "name-2", score: 1, flag: true },
    ]);
    expect((await readWithDeltalake(dir.path, "id", 0)).rows).toEqual([{ id: 1, name: "name-1", score: 0.5 }]);
    // Appending without the new column writes nulls for it.
    await writeDeltaTable(store, people([3]), { mode: "append" });
    expect((await readWithDeltalake(dir.path, "id")).rows[2]).toEqual({ id: 3, name: null, score: 1.5, flag: null });
    const replaced = tableOf({ key: vectorFromArray(["a"]), on: vectorFromArray([false], new Bool()) });
    await writeDeltaTable(store, replaced, { mode: "overwrite", schemaMode: "overwrite" });
    const view = await readWithDeltalake(dir.path, "key");
    expect(view.rows).toEqual([{ key: "a", on: false }]);
  });

  it("skips a retried write with the same application transaction", async () => {
    const store = createLocalObjectStore(dir.path);
    const appTransaction = { appId: "loader", version: 7 };
    expect((await writeDeltaTable(store, people([1]), { mode: "append", appTransaction })).version).toBe(0);
    expect(await writeDeltaTable(store, people([1]), { mode: "append", appTransaction })).toMatchObject({
      skipped: true,
    });
    const next = await writeDeltaTable(store, people([2]), {
      mode: "append",
      appTransaction: { appId: "loader", version: 8 },
    });
    expect(next.version).toBe(1);
    expect((await readWithDeltalake(dir.path, "id")).rows.map((r) => r.id)).toEqual([1, 2]);
  });

  it("sizes files by the rows they hold when partitions interleave within batches", async () => {
    const store = createLocalObjectStore(dir.path);
    const ids = Array.from({ length: 40_000 }, (_, i) => i);
    const data = people(ids, { part: ids.map((i) => `p${i % 4}`) });
    const result = await writeDeltaTable(store, data, {
      mode: "append",
      partitionBy: ["part"],
      targetFileSize: 4 * 1024 * 1024,
    });
    // Each partition holds ~10,000 rows (well under 4 MB): one file each, however the rows interleave.
    expect(result.numFiles).toBe(4);
    expect((await readWithDeltalake(dir.path, "id")).rows.length).toBe(40_000);
  });

  it("streams an async iterable into several files of bounded size", async () => {
    const store = createLocalObjectStore(dir.path);
    async function* batches(): AsyncGenerator<RecordBatch> {
      for (let b = 0; b < 20; b++) {
        const ids = Array.from({ length: 5000 }, (_, i) => b * 5000 + i);
        for (const batch of people(ids, { at: ids.map((i) => i * 1000) }).batches) yield batch;
      }
    }
    const result = await writeDeltaTable(store, batches(), { mode: "append", targetFileSize: 512 * 1024 });
    expect(result.numRows).toBe(100_000);
    expect(result.numFiles).toBeGreaterThan(2);
    const snapshot = await loadSnapshot(store);
    const total = snapshot.files.reduce((n, f) => n + (JSON.parse(f.stats ?? "{}").numRecords ?? 0), 0);
    expect(total).toBe(100_000);
    expect(new TimestampMicrosecond().unit).toBe(2);
  });
});
