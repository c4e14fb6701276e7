import { InvalidArgumentError } from "@mlfusion/core";
import { createTempDir, type TempDir, tableOf } from "@mlfusion/testing";
import { DateDay, Int32, Int64, type Table, TimestampMicrosecond, Utf8, vectorFromArray } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readHistory } from "../src/history.js";
import { loadSnapshot } from "../src/snapshot/snapshot.js";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import { writeDeltaTable } from "../src/write/write-delta-table.js";
import { readWithDeltalake } from "./write-helpers.js";

// Tables written here, read by the real delta-rs (the `deltalake` package) with identical rows, versions and
// history.

const DAY = 86_400_000;

function events(ids: number[]): Table {
  const label = (i: number): string | null =>
    i % 5 === 0 ? null : (["plain", "a/b", "x=y", "50%", "sp ace", "ünï", "q?#"][i % 7] ?? "plain");
  return tableOf({
    id: vectorFromArray(ids.map(BigInt), new Int64()),
    label: vectorFromArray(ids.map(label), new Utf8()),
    bucket: vectorFromArray(
      ids.map((i) => (i % 4 === 0 ? null : i % 3)),
      new Int32(),
    ),
    day: vectorFromArray(
      ids.map((i) => (i % 6 === 0 ? null : new Date(Date.UTC(2024, 0, 1 + (i % 3))))),
      new DateDay(),
    ),
    at: vectorFromArray(
      ids.map((i) => (i % 7 === 0 ? null : Date.UTC(2024, 5, 1, 12, 30, 15, 250) + (i % 2) * DAY)),
      new TimestampMicrosecond("UTC"),
    ),
  });
}

function expectedRow(i: number): Record<string, unknown> {
  const label = i % 5 === 0 ? null : ["plain", "a/b", "x=y", "50%", "sp ace", "ünï", "q?#"][i % 7];
  return {
    id: i,
    label,
    bucket: i % 4 === 0 ? null : i % 3,
    day: i % 6 === 0 ? null : `2024-01-0${1 + (i % 3)}`,
    at: i % 7 === 0 ? null : i % 2 === 0 ? "2024-06-01T12:30:15.250000" : "2024-06-02T12:30:15.250000",
  };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);

describe("tables written by writeDeltaTable, read by delta-rs", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await createTempDir("delta-xwrite-");
  });
  afterEach(async () => {
    await dir.close();
  });

  for (const column of ["label", "bucket", "day", "at"]) {
    it(`partitioned by a ${column} column with nulls and escaped values reads identically`, async () => {
      const store = createLocalObjectStore(dir.path);
      await writeDeltaTable(store, events(range(0, 30)), { mode: "append", partitionBy: [column] });
      await writeDeltaTable(store, events(range(30, 45)), { mode: "append" });
      const view = await readWithDeltalake(dir.path, "id");
      expect(view.version).toBe(1);
      expect(view.rows.map((r) => ({ ...r }))).toEqual(range(0, 45).map(expectedRow));
      const snapshot = await loadSnapshot(store);
      expect(snapshot.partitionColumns).toEqual([column]);
      expect(snapshot.files.some((f) => f.partitionValues[column] === null)).toBe(true);
    });
  }

  it("checkpoints every delta.checkpointInterval commits, readable by delta-rs from the checkpoint alone", async () => {
    const store = createLocalObjectStore(dir.path);
    for (let v = 0; v < 12; v++) {
      const result = await writeDeltaTable(store, events([v * 2, v * 2 + 1]), {
        mode: v === 6 ? "overwrite" : "append",
        partitionBy: ["bucket"],
        configuration: { "delta.checkpointInterval": "5" },
      });
      expect(result.checkpointError).toBeUndefined();
    }
    const hint = JSON.parse(new TextDecoder().decode(await store.get("_delta_log/_last_checkpoint")));
    expect(hint).toMatchObject({ version: 10 });
    await store.head("_delta_log/00000000000000000005.checkpoint.parquet");
    // Without the commits the checkpoint covers, delta-rs must reconstruct version 10 from the checkpoint alone.
    for (let v = 0; v <= 10; v++) await store.delete(`_delta_log/${String(v).padStart(20, "0")}.json`);
    const view = await readWithDeltalake(dir.path, "id");
    expect(view.version).toBe(11);
    expect(view.rows).toEqual(range(12, 24).map(expectedRow));
    const ours = await loadSnapshot(store);
    expect(ours.files.length).toBe(view.files);
  });

  it("replaceWhere on a partition column replaces only the matching partitions", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, events(range(0, 30)), { mode: "append", partitionBy: ["bucket"] });
    const replacement = events([109, 102]); // bucket 1 and bucket 0
    await writeDeltaTable(store, replacement, { mode: "overwrite", predicate: "bucket = 1 OR bucket = 0" });
    const view = await readWithDeltalake(dir.path, "id");
    const kept = range(0, 30).filter((i) => !(i % 4 !== 0 && (i % 3 === 1 || i % 3 === 0)));
    expect(view.rows).toEqual([...kept, 102, 109].map(expectedRow));
    expect((await readHistory(store, { limit: 1 }))[0]?.operationParameters).toMatchObject({
      predicate: "bucket = 1 OR bucket = 0",
    });
  });

  it("replaceWhere on a data column rewrites files keeping the rows that do not match", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, events(range(0, 30)), { mode: "append", partitionBy: ["day"] });
    await writeDeltaTable(store, events([200, 201]), {
      mode: "overwrite",
      predicate: "id >= 10 AND id < 20 OR id >= 200",
    });
    const view = await readWithDeltalake(dir.path, "id");
    expect(view.rows).toEqual([...range(0, 10), ...range(20, 30), 200, 201].map(expectedRow));
    const error = await writeDeltaTable(store, events([5]), { mode: "overwrite", predicate: "id > 100" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((await loadSnapshot(store)).version).toBe(1);
  });

  it("records history that delta-rs and readHistory agree on", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, events([1, 2]), { mode: "error" });
    await writeDeltaTable(store, events([3]), { mode: "append", commitInfo: { userName: "ada" } });
    await writeDeltaTable(store, events([4]), { mode: "overwrite" });
    const view = await readWithDeltalake(dir.path, "id");
    const history = await readHistory(store);
    expect(history.map((h) => [h.version, h.operation])).toEqual(view.history.map((h) => [h.version, h.operation]));
    expect(history[0]).toMatchObject({
      version: 2,
      operation: "WRITE",
      operationParameters: { mode: "Overwrite", partitionBy: "[]" },
      rowsAdded: 1,
      engineInfo: "mlfusion/0.1.0",
    });
    expect(history[0]?.operationMetrics).toMatchObject({ numRemovedFiles: "2", numAddedFiles: "1" });
    expect((await readHistory(store, { limit: 1 })).map((h) => h.version)).toEqual([2]);
  });
});
