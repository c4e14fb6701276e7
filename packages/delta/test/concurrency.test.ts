import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConflictError } from "@mlfusion/core";
import { createTempDir, type TempDir } from "@mlfusion/testing";
import { type RecordBatch, type Table, tableFromArrays } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOG_FOLDER, parseLogFile } from "../src/log/log-segment.js";
import { loadSnapshot } from "../src/snapshot/snapshot.js";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import type { ObjectStore } from "../src/storage/object-store.js";
import { writeDeltaTable } from "../src/write/write-delta-table.js";
import { readWithDeltalake } from "./write-helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, "fixtures", "append-worker.mjs");
const BUILT = join(here, "..", "dist", "index.js");

function rows(worker: number, seqs: number[]): Table {
  return tableFromArrays({ worker: Int32Array.from(seqs.map(() => worker)), seq: Int32Array.from(seqs) });
}

function runWorker(path: string, worker: number, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [WORKER, path, String(worker), String(count)],
      { timeout: 180_000 },
      (error, _o, stderr) => (error ? reject(new Error(`worker ${worker} failed: ${stderr}`)) : resolve()),
    );
  });
}

async function commitVersions(store: ObjectStore): Promise<number[]> {
  return (await store.list(LOG_FOLDER))
    .map((m) => parseLogFile(m))
    .flatMap((f) => (f?.kind === "commit" ? [f.version] : []))
    .sort((a, b) => a - b);
}

/** Input that lets `race` commit (to completion) after the write has read its snapshot and before it commits. */
async function* racingInput(data: Table, race: () => Promise<unknown>): AsyncGenerator<RecordBatch> {
  yield* data.batches;
  await race();
}

describe("concurrent writers", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await createTempDir("delta-concurrency-");
  });
  afterEach(async () => {
    await dir.close();
  });

  it("8 processes x 50 appends give 400 contiguous commits with every row present", { timeout: 240_000 }, async () => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` (npx tsc -b) first.`);
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, rows(-1, [0]), { mode: "error" });
    await Promise.all(Array.from({ length: 8 }, (_, w) => runWorker(dir.path, w, 50)));
    expect(await commitVersions(store)).toEqual(Array.from({ length: 401 }, (_, v) => v));
    const view = await readWithDeltalake(dir.path, "worker");
    expect(view.version).toBe(400);
    const seen = new Set(view.rows.map((r) => `${r.worker}/${r.seq}`));
    expect(view.rows.length).toBe(401);
    for (let w = 0; w < 8; w++) for (let s = 0; s < 50; s++) expect(seen.has(`${w}/${s}`)).toBe(true);
    expect((await loadSnapshot(store)).files.length).toBe(401);
  });

  it("an overwrite racing a blind append keeps both under WriteSerializable", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, rows(0, [1, 2]), { mode: "append" });
    const result = await writeDeltaTable(
      store,
      racingInput(rows(1, [1]), () => writeDeltaTable(store, rows(2, [1]), { mode: "append" })),
      { mode: "overwrite" },
    );
    expect(result.version).toBe(2);
    const view = await readWithDeltalake(dir.path, "worker");
    expect(view.rows).toEqual([
      { worker: 1, seq: 1 },
      { worker: 2, seq: 1 },
    ]);
  });

  it("an overwrite that loses to an append under Serializable gets a retryable ConflictError", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, rows(0, [1]), {
      mode: "append",
      configuration: { "delta.isolationLevel": "Serializable" },
    });
    const error = await writeDeltaTable(
      store,
      racingInput(rows(1, [1]), () => writeDeltaTable(store, rows(2, [1]), { mode: "append" })),
      { mode: "overwrite" },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error instanceof ConflictError && error.retryable).toBe(true);
    expect(await commitVersions(store)).toEqual([0, 1]);
    const view = await readWithDeltalake(dir.path, "worker");
    expect(view.rows).toEqual([
      { worker: 0, seq: 1 },
      { worker: 2, seq: 1 },
    ]);
  });

  it("an append racing an overwrite is rebased on top of it", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, rows(0, [1]), { mode: "append" });
    const result = await writeDeltaTable(
      store,
      racingInput(rows(2, [1]), () => writeDeltaTable(store, rows(1, [1]), { mode: "overwrite" })),
      { mode: "append" },
    );
    expect(result.version).toBe(2);
    const view = await readWithDeltalake(dir.path, "worker");
    expect(view.rows.map((r) => r.worker)).toEqual([1, 2]);
  });

  it("two overwrites of the same files: the loser gets a ConflictError and the log stays valid", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, rows(0, [1]), { mode: "append" });
    const error = await writeDeltaTable(
      store,
      racingInput(rows(1, [1]), () => writeDeltaTable(store, rows(2, [1]), { mode: "overwrite" })),
      { mode: "overwrite" },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    const view = await readWithDeltalake(dir.path, "worker");
    expect(view.version).toBe(1);
    expect(view.rows).toEqual([{ worker: 2, seq: 1 }]);
  });

  it("two writers creating the same table: the loser gets a retryable ConflictError and its retry appends", async () => {
    const store = createLocalObjectStore(dir.path);
    const error = await writeDeltaTable(
      store,
      racingInput(rows(1, [1]), () => writeDeltaTable(store, rows(2, [1]), { mode: "append" })),
      { mode: "append" },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((await writeDeltaTable(store, rows(1, [1]), { mode: "append" })).version).toBe(1);
    expect((await readWithDeltalake(dir.path, "worker")).rows.map((r) => r.worker)).toEqual([1, 2]);
  });

  it("an append that loses to a schema change gets a ConflictError", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, rows(0, [1]), { mode: "append" });
    const widened = tableFromArrays({ worker: Int32Array.from([3]), seq: Int32Array.from([1]), note: ["x"] });
    const error = await writeDeltaTable(
      store,
      racingInput(rows(2, [1]), () => writeDeltaTable(store, widened, { mode: "append", schemaMode: "merge" })),
      { mode: "append" },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((await loadSnapshot(store)).version).toBe(1);
  });
});
