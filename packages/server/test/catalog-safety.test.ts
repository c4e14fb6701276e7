// The Delta catalog keeps datasets safe from crashes and from concurrent calls: a first commit that never
// happened, a drop or a vacuum racing a write, a registration that would alias the data root.
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FusionError } from "@mlfusion/core";
import { createDeltaDatasetCatalog, type DatasetCatalog } from "@mlfusion/server";
import { createTempDir, type TempDir } from "@mlfusion/testing";
import { type RecordBatch, tableFromArrays } from "apache-arrow";
import { afterEach, beforeEach, expect, test } from "vitest";

let dir: TempDir;
let root: string;
let catalog: DatasetCatalog;

beforeEach(async () => {
  dir = await createTempDir("catalog-safety-");
  root = join(dir.path, "data");
  catalog = createDeltaDatasetCatalog(root);
});
afterEach(async () => {
  await dir.close();
});

function batchesOf(values: number[]): RecordBatch[] {
  return tableFromArrays({ v: Float64Array.from(values) }).batches;
}

async function* streamOf(batches: RecordBatch[]): AsyncGenerator<RecordBatch> {
  yield* batches;
}

async function write(key: string[], values: number[], mode: "append" | "overwrite" = "append") {
  const batches = batchesOf(values);
  const schema = batches[0]?.schema;
  if (schema === undefined) throw new Error("no batch");
  return catalog.write(key, schema, streamOf(batches), { mode });
}

async function rowsOf(key: string[]): Promise<number[]> {
  const { batches } = await catalog.read(key, {});
  const out: number[] = [];
  for await (const batch of batches) for (const v of batch.getChild("v") ?? []) out.push(Number(v));
  return out.sort((a, b) => a - b);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    return error instanceof FusionError ? error.code : String(error);
  }
}

test("a _delta_log without a commit is not listed, can be written (version 0) and dropped", async () => {
  await write(["demo", "kept"], [1]);
  await mkdir(join(root, "demo", "crashed", "_delta_log"), { recursive: true });
  await mkdir(join(root, "demo", "rewritten", "_delta_log"), { recursive: true });
  expect(await catalog.list([])).toEqual([["demo", "kept"]]);

  const result = await write(["demo", "rewritten"], [1, 2]);
  expect(result.version).toBe(0);
  expect(await rowsOf(["demo", "rewritten"])).toEqual([1, 2]);

  await writeFile(join(root, "demo", "crashed", "part-orphan.parquet"), "not parquet");
  await catalog.drop(["demo", "crashed"]);
  expect(await readdir(join(root, "demo"))).not.toContain("crashed");
  expect(await catalog.list([])).toEqual([
    ["demo", "kept"],
    ["demo", "rewritten"],
  ]);
});

test("a folder with an empty _delta_log still shows and protects the datasets inside it", async () => {
  await mkdir(join(root, "area", "_delta_log"), { recursive: true });
  await write(["area", "inner"], [1]);
  expect(await catalog.list([])).toEqual([["area", "inner"]]);
  expect(await codeOf(write(["area"], [1]))).toBe("INVALID_ARGUMENT");
  expect(await codeOf(catalog.drop(["area"]))).toBe("INVALID_ARGUMENT");
  expect(await rowsOf(["area", "inner"])).toEqual([1]);
});
