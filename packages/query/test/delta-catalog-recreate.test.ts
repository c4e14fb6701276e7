import { rm } from "node:fs/promises";
import { join } from "node:path";
import { createTempDir, runPython, type TempDir } from "@mlfusion/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeltaCatalog, createQueryEngine, type QueryEngine } from "../src/index.js";

/** Writes rows argv[2] (a JSON list of ints) as a new Delta table at argv[1] with delta-rs: version 0. */
const WRITE_TABLE = `
import sys, json
import pyarrow as pa
from deltalake import write_deltalake
write_deltalake(sys.argv[1], pa.table({"x": pa.array(json.loads(sys.argv[2]), pa.int64())}))
`;

let dir: TempDir;
let engine: QueryEngine;

beforeAll(async () => {
  dir = await createTempDir("query-recreate-");
  engine = createQueryEngine({
    catalog: createDeltaCatalog({ dataRoot: join(dir.path, "data") }),
    config: { timeoutMs: 30_000 },
  });
});

afterAll(async () => {
  await engine?.close();
  await dir?.close();
});

async function values(sql: string): Promise<number[]> {
  const out: number[] = [];
  const result = await engine.query(sql);
  for await (const batch of result) {
    for (const value of batch.getChild("x")?.toArray() ?? []) out.push(Number(value));
  }
  return out;
}

describe("the Delta catalog's snapshot cache", () => {
  it("serves a dataset dropped and recreated at the same version from its new log, not the cached snapshot", async () => {
    const table = join(dir.path, "data", "demo", "t");
    await runPython(WRITE_TABLE, [table, JSON.stringify([1, 2, 3])]);
    expect(await values(`SELECT x FROM "demo"."t" ORDER BY x`)).toEqual([1, 2, 3]);
    expect(await values(`SELECT x FROM "demo"."t" AT (VERSION => 0) ORDER BY x`)).toEqual([1, 2, 3]);

    await rm(table, { recursive: true });
    await runPython(WRITE_TABLE, [table, JSON.stringify([10, 20, 30, 40])]);
    expect(await values(`SELECT x FROM "demo"."t" ORDER BY x`)).toEqual([10, 20, 30, 40]);
    expect(await values(`SELECT x FROM "demo"."t" AT (VERSION => 0) ORDER BY x`)).toEqual([10, 20, 30, 40]);
  });
});
