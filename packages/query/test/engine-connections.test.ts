// The engine's DuckDB connections and instances: queries racing a change of the data folders, and results that
// are abandoned or closed while they are read.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { FusionError } from "@mlfusion/core";
import { createTempDir, type TempDir } from "@mlfusion/testing";
import type { RecordBatch } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeltaCatalog, createQueryEngine, type DatasetCatalog, type QueryResult } from "../src/index.js";
import { writeFixtures } from "./fixtures.js";

let dir: TempDir;
let dataRoot: string;

beforeAll(async () => {
  dir = await createTempDir("query-connections-");
  ({ dataRoot } = await writeFixtures(dir.path));
});

afterAll(async () => {
  await dir?.close();
});

async function count(result: QueryResult): Promise<number> {
  let rows = 0;
  for await (const batch of result) rows += batch.numRows;
  return rows;
}

describe("engine connections", () => {
  it("keeps every query running while the data folders change under it", async () => {
    // The folders DuckDB may read change on every call: each query may open a new instance and retire the last.
    const extra = join(dir.path, "extra");
    await mkdir(extra, { recursive: true });
    const delta = createDeltaCatalog({ dataRoot });
    let calls = 0;
    const catalog: DatasetCatalog = {
      dataDirectories: async () => (++calls % 2 === 0 ? [dataRoot, extra] : [dataRoot]),
      listDatasets: (signal) => delta.listDatasets(signal),
      openDataset: (key, at, signal) => delta.openDataset(key, at, signal),
    };
    const engine = createQueryEngine({ catalog, config: { timeoutMs: 30_000 } });
    try {
      const running = await engine.query(`SELECT * FROM "demo"."sales"`);
      const started = await Promise.all(
        Array.from({ length: 6 }, () => engine.query(`SELECT count(*) AS n FROM "demo"."sales" WHERE region = 'east'`)),
      );
      const counts = await Promise.all(started.map(count));
      expect(new Set(counts).size).toBe(1);
      expect(await count(running)).toBeGreaterThan(0);
    } finally {
      await engine.close();
    }
  });

  it("cleans up a result abandoned half-way before its connection serves the next query", async () => {
    const engine = createQueryEngine({ catalog: createDeltaCatalog({ dataRoot }), config: { timeoutMs: 30_000 } });
    try {
      const sql = "SELECT range AS v FROM range(2000000)";
      for (let i = 0; i < 6; i++) {
        const result = await engine.query(sql);
        for await (const batch of result) {
          expect(batch.numRows).toBeGreaterThan(0);
          break;
        }
      }
      // The pooled connections were reused after each abandoned result and still answer in full.
      expect(await count(await engine.query(sql))).toBe(2_000_000);
    } finally {
      await engine.close();
    }
  });

  it("fails a result closed while it is being read, instead of ending it early", async () => {
    const engine = createQueryEngine({ catalog: createDeltaCatalog({ dataRoot }), config: { timeoutMs: 30_000 } });
    try {
      const result = await engine.query("SELECT range AS v FROM range(2000000)");
      const iterator = result[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect((first.value as RecordBatch).numRows).toBeGreaterThan(0);
      result.close();
      const error = await iterator.next().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FusionError);
      expect(error).toMatchObject({ code: "CANCELLED" });
      expect(await count(await engine.query("SELECT range AS v FROM range(300000)"))).toBe(300_000);
    } finally {
      await engine.close();
    }
  });
});
