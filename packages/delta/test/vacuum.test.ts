import { existsSync } from "node:fs";
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
});
