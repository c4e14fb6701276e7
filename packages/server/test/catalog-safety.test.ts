// The Delta catalog keeps datasets safe from crashes and from concurrent calls: a first commit that never
// happened, a drop or a vacuum racing a write, a registration that would alias the data root.
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { FusionError } from "@mlfusion/core";
import { createDeltaDatasetCatalog, type DatasetCatalog } from "@mlfusion/server";
import { createTempDir, type TempDir } from "@mlfusion/testing";
import { type RecordBatch, tableFromArrays } from "apache-arrow";
import { pino } from "pino";
import { afterEach, beforeEach, expect, test, vi } from "vitest";

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

/** A stream that yields `first`, then waits until `finish()` before yielding `rest`; `consumed` resolves once
 * the writer has taken `first` and asks for more. */
function heldStream(first: RecordBatch[], rest: RecordBatch[]) {
  let finish = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let markConsumed = () => {};
  const consumed = new Promise<void>((resolve) => {
    markConsumed = resolve;
  });
  async function* batches(): AsyncGenerator<RecordBatch> {
    yield* first;
    markConsumed();
    await finished;
    yield* rest;
  }
  return { batches: batches(), consumed, finish };
}

/** Whether `promise` settles within 200 ms: a call that should wait for a lock must still be pending (with the
 * lock held this is deterministic; the delay only gives an unguarded call the time to show itself). */
async function settle(promise: Promise<unknown>): Promise<"pending" | "settled"> {
  const marker = Symbol("pending");
  const timer = new Promise<symbol>((resolve) => setTimeout(() => resolve(marker), 200));
  const outcome = await Promise.race([
    promise.then(
      () => null,
      () => null,
    ),
    timer,
  ]);
  return outcome === marker ? "pending" : "settled";
}

test("a drop during a write waits for it, then removes the dataset; the key takes a new write at version 0", async () => {
  await write(["race", "drop"], [1, 2]);
  const held = heldStream(batchesOf([3]), batchesOf([4]));
  const schema = batchesOf([0])[0]?.schema;
  if (schema === undefined) throw new Error("no schema");
  const writing = catalog.write(["race", "drop"], schema, held.batches, { mode: "append" });
  await held.consumed;
  const dropping = catalog.drop(["race", "drop"]);
  expect(await settle(dropping)).toBe("pending");
  held.finish();
  expect((await writing).version).toBe(1);
  await dropping;
  expect(await catalog.list(["race"])).toEqual([]);
  expect(await codeOf(catalog.info(["race", "drop"]))).toBe("NOT_FOUND");
  expect((await readdir(root)).filter((name) => name.startsWith(".trash-"))).toEqual([]);

  expect((await write(["race", "drop"], [9])).version).toBe(0);
  expect(await rowsOf(["race", "drop"])).toEqual([9]);
});

test("a vacuum with zero retention waits for a write in flight and deletes none of its files", async () => {
  // Partitioned by p with more partitions than files kept open, so the write finishes files before it commits.
  const partitioned = (values: number[]) =>
    tableFromArrays({ p: Int32Array.from(values), v: Float64Array.from(values) }).batches;
  const values = Array.from({ length: 40 }, (_, i) => i);
  const schema = partitioned([0])[0]?.schema;
  if (schema === undefined) throw new Error("no schema");
  await catalog.write(["race", "vacuum"], schema, streamOf(partitioned([100])), { mode: "append", partitionBy: ["p"] });
  const held = heldStream(partitioned(values), partitioned([200]));
  const writing = catalog.write(["race", "vacuum"], schema, held.batches, { mode: "append" });
  await held.consumed;
  const vacuuming = catalog.vacuum(["race", "vacuum"], { retentionHours: 0, force: true });
  expect(await settle(vacuuming)).toBe("pending");
  held.finish();
  expect((await writing).version).toBe(1);
  expect((await vacuuming).files).toEqual([]);
  expect(await rowsOf(["race", "vacuum"])).toEqual([...values, 100, 200]);
});

test("register refuses a folder inside the data root or containing it, saying why", async () => {
  await write(["own", "table"], [1]);
  const message = async (path: string) => {
    try {
      await catalog.register(["alias", "table"], path);
      return "registered";
    } catch (error) {
      return error instanceof FusionError ? `${error.code}: ${error.message}` : String(error);
    }
  };
  expect(await message(join(root, "own", "table"))).toMatch(/^INVALID_ARGUMENT: .*inside the data root/);
  expect(await message(root)).toMatch(/^INVALID_ARGUMENT: .*inside the data root/);
  // A Delta table whose folder holds the data root: delta-rs-style layout with the root as a subfolder.
  await mkdir(join(dir.path, "_delta_log"), { recursive: true });
  expect(await message(dir.path)).toMatch(/^INVALID_ARGUMENT: .*contains the data root/);
  expect(await catalog.list([])).toEqual([["own", "table"]]);
  expect(await rowsOf(["own", "table"])).toEqual([1]);
});

test("a write whose checkpoint fails succeeds and logs a warning naming the dataset", async () => {
  const lines: { level: number; dataset?: string; version?: number; msg: string }[] = [];
  const logs = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const logged = createDeltaDatasetCatalog(root, { logger: pino({ level: "info" }, logs) });
  const schema = batchesOf([0])[0]?.schema;
  if (schema === undefined) throw new Error("no schema");
  for (let version = 0; version < 10; version++) {
    await logged.write(["ckpt", "table"], schema, streamOf(batchesOf([version])), { mode: "append" });
  }
  // A folder where the checkpoint of version 10 (delta.checkpointInterval defaults to 10) has to go.
  const blocked = join(root, "ckpt", "table", "_delta_log", "00000000000000000010.checkpoint.parquet");
  await mkdir(blocked, { recursive: true });
  await writeFile(join(blocked, "keep"), "");
  const result = await logged.write(["ckpt", "table"], schema, streamOf(batchesOf([10])), { mode: "append" });
  expect(result.version).toBe(10);
  const warnings = lines.filter((line) => line.level === 40);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ dataset: "ckpt/table", version: 10 });
  expect(await rowsOf(["ckpt", "table"])).toEqual(Array.from({ length: 11 }, (_, i) => i));
});

test("a drop cut short by a crash leaves a hidden folder that the next catalog on the data root removes", async () => {
  await write(["demo", "kept"], [1, 2]);
  // What a drop leaves when the process dies between its rename and its delete.
  const leftover = join(root, ".trash-0b7c1f4e-5d2a-4c1e-9f3b-2a6d8e0c4b71");
  await mkdir(join(leftover, "_delta_log"), { recursive: true });
  await writeFile(join(leftover, "part-00000.parquet"), "orphaned data");
  // Only names a drop makes are swept: anything else that happens to start with .trash- stays.
  await mkdir(join(root, ".trash-notes"));
  const next = createDeltaDatasetCatalog(root);
  await vi.waitFor(async () => expect((await readdir(root)).sort()).toEqual([".trash-notes", "demo"]));
  expect(await next.list([])).toEqual([["demo", "kept"]]);
});
