import { join } from "node:path";
import { NotFoundError } from "@mlfusion/core";
import { createTempDir, runPython } from "@mlfusion/testing";
import { describe, expect, it } from "vitest";
import { createLocalObjectStore } from "../storage/local-object-store.js";
import { parseParquetFooter, readParquetBatches, readParquetFile, readParquetFooter } from "./parquet-reader.js";

describe("parquet-reader", () => {
  it("streams projected columns and row groups of a pyarrow-written file in bounded batches", async () => {
    const dir = await createTempDir("pq-");
    try {
      await runPython(
        `import sys, pyarrow as pa, pyarrow.parquet as pq
n = 300_000
t = pa.table({"id": pa.array(range(n), pa.int64()), "s": pa.array([None if i % 10 == 0 else f"v{i}" for i in range(n)]), "x": pa.array([i * 0.5 for i in range(n)])})
pq.write_table(t, sys.argv[1], row_group_size=100_000)`,
        [join(dir.path, "f.parquet")],
      );
      const store = createLocalObjectStore(dir.path);
      let rows = 0;
      let batches = 0;
      let first: bigint | undefined;
      for await (const batch of readParquetBatches(store, "f.parquet", { columns: ["id", "s"], rowGroups: [1, 2] })) {
        expect(batch.schema.fields.map((f) => f.name)).toEqual(["id", "s"]);
        first ??= batch.getChild("id")?.get(0);
        rows += batch.numRows;
        batches += 1;
      }
      expect(rows).toBe(200_000);
      expect(first).toBe(100_000n);
      expect(batches).toBeGreaterThan(1);

      const footer = await readParquetFooter(store, "f.parquet");
      expect(footer.num_rows).toBe(300_000n);
      expect(footer.row_groups).toHaveLength(3);
      const stats = footer.row_groups[2]?.columns[0]?.meta_data?.statistics;
      expect(stats?.min_value).toBe(200_000n);
      expect(stats?.max_value).toBe(299_999n);

      const all = await readParquetFile(store, "f.parquet", { columns: ["x"] });
      expect(all.reduce((n, b) => n + b.numRows, 0)).toBe(300_000);
    } finally {
      await dir.close();
    }
  });

  it("reports a missing file as NotFoundError and garbage as a corrupt file", async () => {
    const dir = await createTempDir("pq-");
    try {
      const store = createLocalObjectStore(dir.path);
      await expect(readParquetFile(store, "absent.parquet")).rejects.toBeInstanceOf(NotFoundError);
      await store.put("bad.parquet", new TextEncoder().encode("not parquet at all"));
      await expect(readParquetFile(store, "bad.parquet")).rejects.toMatchObject({ code: "CORRUPT_TABLE" });
      expect(() => parseParquetFooter(new Uint8Array([1, 2, 3]))).toThrow(/not a valid Parquet file/);
    } finally {
      await dir.close();
    }
  });
});
