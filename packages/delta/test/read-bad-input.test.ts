import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CorruptTableError, InvalidArgumentError, NotFoundError, UnsupportedFeatureError } from "@mlfusion/core";
import { createTempDir, runPython, type TempDir } from "@mlfusion/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serializeActions } from "../src/log/actions.js";
import { commitPath } from "../src/log/log-segment.js";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import { DeltaTable } from "../src/table.js";

// Bad input gives a clear typed error, never a crash, a hang or an INTERNAL error.

async function collect(table: DeltaTable, options: Parameters<DeltaTable["scan"]>[0] = {}): Promise<number> {
  let rows = 0;
  for await (const batch of table.scan(options)) rows += batch.numRows;
  return rows;
}

describe("reading bad input", () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await createTempDir("read-bad-");
    await runPython(
      `import sys, pyarrow as pa
from deltalake import write_deltalake
write_deltalake(sys.argv[1], pa.table({"id": pa.array([1, 2, 3], pa.int64()), "p": ["a", "b", "a"]}), partition_by=["p"])
write_deltalake(sys.argv[1], pa.table({"id": pa.array([4], pa.int64()), "p": ["c"]}), mode="append")`,
      [dir.path],
    );
  });
  afterAll(async () => {
    await dir.close();
  });

  it("says a folder is not a Delta table", async () => {
    const empty = await createTempDir("read-bad-empty-");
    try {
      const error = await DeltaTable.open(createLocalObjectStore(empty.path)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(String(error)).toMatch(/is not a Delta table/);
    } finally {
      await empty.close();
    }
  });

  it("rejects an invalid filter with its position, and unknown columns by name", async () => {
    const table = await DeltaTable.open(createLocalObjectStore(dir.path));
    await expect(collect(table, { filter: "id >> 2" })).rejects.toThrow(/position 5/);
    await expect(collect(table, { filter: "id >> 2" })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(collect(table, { filter: "nope = 1" })).rejects.toThrow(/Unknown column nope/);
    await expect(collect(table, { columns: ["id", "missing"] })).rejects.toThrow(/"missing" does not exist/);
    expect(() => table.files({ filter: "p = " })).toThrow(InvalidArgumentError);
  });

  it("reports a missing data file as NotFoundError naming the file", async () => {
    const copy = await createTempDir("read-bad-copy-");
    try {
      await runPython("import shutil, sys; shutil.copytree(sys.argv[1], sys.argv[2], dirs_exist_ok=True)", [
        dir.path,
        copy.path,
      ]);
      const table = await DeltaTable.open(createLocalObjectStore(copy.path));
      const victim = table.files({ filter: "p = 'c'" })[0];
      if (victim === undefined) throw new Error("no file for p = c");
      await rm(join(copy.path, victim.path));
      const error = await collect(table).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(String(error)).toContain(victim.path);
      // The other files still read when the filter skips the missing one.
      expect(await collect(table, { filter: "p = 'a'" })).toBe(2);
    } finally {
      await copy.close();
    }
  });

  it("rejects a corrupt commit and a damaged data file with CorruptTableError", async () => {
    const copy = await createTempDir("read-bad-copy-");
    try {
      await runPython("import shutil, sys; shutil.copytree(sys.argv[1], sys.argv[2], dirs_exist_ok=True)", [
        dir.path,
        copy.path,
      ]);
      const store = createLocalObjectStore(copy.path);
      const table = await DeltaTable.open(store);
      const file = table.files()[0];
      if (file === undefined) throw new Error("no files");
      await writeFile(join(copy.path, file.path), "this is not parquet");
      await expect(collect(table)).rejects.toBeInstanceOf(CorruptTableError);
      await writeFile(join(copy.path, commitPath(1)), '{"add": {"path": "x.parquet",');
      const error = await DeltaTable.open(store).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptTableError);
      expect(String(error)).toMatch(/00000000000000000001\.json has invalid JSON on line 1/);
      // The version before the damage still opens.
      expect((await DeltaTable.open(store, { version: 0 })).version).toBe(0);
    } finally {
      await copy.close();
    }
  });

  it("refuses a table that needs an unsupported reader feature, naming it", async () => {
    const t = await createTempDir("read-bad-feature-");
    try {
      const store = createLocalObjectStore(t.path);
      await store.put(
        commitPath(0),
        serializeActions([
          {
            protocol: {
              minReaderVersion: 3,
              minWriterVersion: 7,
              readerFeatures: ["catalogOwned"],
              writerFeatures: [],
            },
          },
          {
            metaData: {
              id: "x",
              format: { provider: "parquet", options: {} },
              schemaString: '{"type":"struct","fields":[]}',
              partitionColumns: [],
              configuration: {},
            },
          },
        ]),
      );
      const error = await DeltaTable.open(store).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedFeatureError);
      expect(error instanceof UnsupportedFeatureError ? error.feature : "").toBe("catalogOwned");
    } finally {
      await t.close();
    }
  });

  it("stops a scan when its signal is aborted", async () => {
    const table = await DeltaTable.open(createLocalObjectStore(dir.path));
    const controller = new AbortController();
    controller.abort();
    await expect(collect(table, { signal: controller.signal })).rejects.toThrow();
  });
});
