import { existsSync, readFileSync } from "node:fs";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTempDir, type TempDir } from "@mlfusion/testing";
import { tableFromArrays } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalObjectStore, DeltaTable, vacuum, writeDeltaTable } from "../src/index.js";

describe("vacuum", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await createTempDir("vacuum-");
  });
  afterEach(async () => {
    await dir.close();
  });

  const old = new Date(Date.now() - 10 * 24 * 3600 * 1000);

  it("removes leftovers of crashed writes once they are older than the retention, and only those", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, tableFromArrays({ id: Int32Array.from([1, 2]) }), { mode: "overwrite" });
    const stale = join(dir.path, ".tmp-crashed-writer");
    const fresh = join(dir.path, ".tmp-in-flight");
    await writeFile(stale, "partial parquet");
    await writeFile(fresh, "partial parquet");
    await utimes(stale, old, old);

    const dry = await vacuum(store, { dryRun: true });
    expect(dry.deleted).toEqual([".tmp-crashed-writer"]);
    await vacuum(store);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    const table = await DeltaTable.open(store);
    expect(table.fileStats().numRecords).toBe(2);
  });

  it("never deletes the files of a Delta table nested inside the table folder", async () => {
    const outer = createLocalObjectStore(dir.path);
    await writeDeltaTable(outer, tableFromArrays({ id: Int32Array.from([1]) }), { mode: "overwrite" });
    const innerPath = join(dir.path, "inner");
    await mkdir(innerPath);
    const inner = createLocalObjectStore(innerPath);
    await writeDeltaTable(inner, tableFromArrays({ x: Int32Array.from([7, 8]) }), { mode: "overwrite" });
    const innerTable = await DeltaTable.open(inner);
    for (const file of innerTable.files()) {
      await utimes(join(innerPath, file.path), old, old);
    }
    const result = await vacuum(outer, { retentionHours: 0, enforceRetentionDuration: false });
    expect(result.deleted).toEqual([]);
    const rows: number[] = [];
    for await (const batch of (await DeltaTable.open(inner)).scan())
      rows.push(...(batch.getChild("x")?.toArray() ?? []));
    expect(rows).toEqual([7, 8]);
  });

  it("keeps live files the log names by absolute path or file: URI (as Spark's CONVERT TO DELTA writes them)", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, tableFromArrays({ id: Int32Array.from([1, 2]) }), { mode: "overwrite" });
    await writeDeltaTable(store, tableFromArrays({ id: Int32Array.from([3]) }), { mode: "append" });
    const files = (await DeltaTable.open(store)).files().map((f) => f.path);
    expect(files).toHaveLength(2);
    // Rewrite the log so that one add names its file by absolute path and the other by file: URI.
    for (const [version, form] of [
      [0, (p: string) => join(dir.path, p)],
      [1, (p: string) => `file://${join(dir.path, p)}`],
    ] as const) {
      const logFile = join(dir.path, "_delta_log", `${String(version).padStart(20, "0")}.json`);
      const lines = readFileSync(logFile, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => {
          const action = JSON.parse(l);
          if (action.add) action.add.path = form(action.add.path);
          return JSON.stringify(action);
        });
      await writeFile(logFile, `${lines.join("\n")}\n`);
    }
    for (const f of files) await utimes(join(dir.path, f), old, old);
    const result = await vacuum(store, { retentionHours: 0, enforceRetentionDuration: false });
    expect(result.deleted).toEqual([]);
    let rows = 0;
    for await (const batch of (await DeltaTable.open(store)).scan()) rows += batch.numRows;
    expect(rows).toBe(3);
  });
});
