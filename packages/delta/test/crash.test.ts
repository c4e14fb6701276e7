import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTempDir, type TempDir } from "@mlfusion/testing";
import { tableFromArrays } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeActionPath } from "../src/log/action-path.js";
import { loadSnapshot } from "../src/snapshot/snapshot.js";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import type { ObjectStore } from "../src/storage/object-store.js";
import { vacuum } from "../src/vacuum.js";
import { writeDeltaTable } from "../src/write/write-delta-table.js";
import { readWithDeltalake } from "./write-helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const WRITER = join(here, "fixtures", "crash-writer.mjs");
const BUILT = join(here, "..", "dist", "index.js");

/** Starts the crash writer and resolves once it has handed `batches` batches to the Parquet writer. */
function startWriter(path: string, batches: number): Promise<{ kill(): Promise<void> }> {
  const child = spawn(process.execPath, [WRITER, path], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("exit", (code) => reject(new Error(`the writer exited early (${code}): ${stderr}`)));
    child.stdout.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes(`batch ${batches}\n`)) {
        resolve({
          kill: async () => {
            child.kill("SIGKILL");
            await exited;
          },
        });
      }
    });
  });
}

async function dataFiles(store: ObjectStore): Promise<string[]> {
  return (await store.list("")).map((m) => m.path).filter((p) => !p.startsWith("_delta_log/"));
}

describe("crash safety", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await createTempDir("delta-crash-");
  });
  afterEach(async () => {
    await dir.close();
  });

  it("a writer killed with SIGKILL mid-write leaves the last committed version; vacuum removes the leftovers", async () => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` (npx tsc -b) first.`);
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, tableFromArrays({ id: Float64Array.from([1, 2]), name: ["a", "b"] }), {
      mode: "error",
    });
    const writer = await startWriter(dir.path, 30);
    await writer.kill();

    const snapshot = await loadSnapshot(store);
    expect(snapshot.version).toBe(0);
    const committed = snapshot.files.map((f) => decodeActionPath(f.path));
    const leftovers = (await dataFiles(store)).filter((p) => !committed.includes(p));
    expect(leftovers.length).toBeGreaterThan(0);
    const view = await readWithDeltalake(dir.path, "id");
    expect(view.rows).toEqual([
      { id: 1, name: "a" },
      { id: 2, name: "b" },
    ]);

    // Within the retention period nothing is deleted; with a zero retention the orphans go.
    expect((await vacuum(store, { dryRun: true })).deleted).toEqual([]);
    const { deleted } = await vacuum(store, { retentionHours: 0, enforceRetentionDuration: false });
    // Besides the orphaned data files, vacuum removes the temporary files of uploads the kill cut short (the store's
    // listing hides them; a file finishing in the background while the next one fills leaves one).
    const isTemp = (p: string) => basename(p).startsWith(".tmp-");
    expect(deleted.filter((p) => !isTemp(p)).sort()).toEqual(leftovers.sort());
    expect(await dataFiles(store)).toEqual(committed);
    const onDisk = (await readdir(dir.path, { recursive: true })).map(String);
    expect(onDisk.filter(isTemp)).toEqual([]);
    expect((await readWithDeltalake(dir.path, "id")).rows.length).toBe(2);
  });
});
