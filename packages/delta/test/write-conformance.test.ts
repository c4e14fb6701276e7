import { cp, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { FusionError } from "@mlfusion/core";
import { createTempDir, deltaConformanceRoot, runPython, type TempDir } from "@mlfusion/testing";
import { makeData, RecordBatch, Struct, vectorFromArray } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toArrowSchema } from "../src/schema/arrow-schema.js";
import { loadSnapshot } from "../src/snapshot/snapshot.js";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import { DeltaTable } from "../src/table.js";
import { writeDeltaTable } from "../src/write/write-delta-table.js";

// Appends to every table of the shared conformance corpus that this library can read (tables written by Spark,
// delta-rs and kernel tests): the append either commits and the table reads back with one more row, or it is
// refused with a typed error (an unsupported writer feature, a NOT NULL column) and nothing changes.

const root = deltaConformanceRoot();

// delta-rs reads each table before (the corpus copy) and after our append: what it read before, it must read after,
// with one more row.
const DELTALAKE_COUNTS = `
import sys, json, os
from deltalake import DeltaTable
out = {}
for pair in json.loads(sys.argv[1]):
    counts = []
    for path in pair:
        try:
            counts.append(DeltaTable(path).to_pyarrow_table().num_rows)
        except Exception as error:
            counts.append(f"{type(error).__name__}: {str(error)[:200]}")
    out[pair[1]] = counts
print(json.dumps(out))
`;

async function tableFolders(): Promise<string[]> {
  if (root === undefined) return [];
  const out: string[] = [];
  for (const corpus of ["delta-rs", "kernel-data", "delta-golden"]) {
    for (const name of await readdir(join(root, corpus))) {
      const folder = join(root, corpus, name);
      const log = await stat(join(folder, "_delta_log")).catch(() => undefined);
      if (log?.isDirectory() === true) out.push(folder);
    }
  }
  return out.sort();
}

async function countRows(path: string): Promise<number> {
  let rows = 0;
  for await (const batch of (await DeltaTable.open(createLocalObjectStore(path))).scan()) rows += batch.numRows;
  return rows;
}

describe.skipIf(root === undefined)(
  "appending to the conformance corpus (skipped when ../shared/delta-conformance is absent)",
  () => {
    let dir: TempDir;
    beforeAll(async () => {
      dir = await createTempDir("delta-write-corpus-");
    });
    afterAll(async () => {
      await dir.close();
    });

    it("commits an all-null row to every readable table, or refuses with a typed error", {
      timeout: 240_000,
    }, async () => {
      const outcomes: Record<string, string> = {};
      const appended: [string, string][] = [];
      for (const source of await tableFolders()) {
        const name = source.slice((root ?? "").length + 1);
        const path = join(dir.path, name.replace(/\//g, "__"));
        await cp(source, path, { recursive: true });
        const store = createLocalObjectStore(path);
        let before: number;
        try {
          before = await countRows(path);
        } catch (error) {
          if (!(error instanceof FusionError)) throw error;
          continue; // not readable here: the reader's conformance suite covers it
        }
        const snapshot = await loadSnapshot(store);
        if (snapshot.schema.fields.length === 0) continue; // log-only fixtures without columns
        const schema = toArrowSchema(snapshot.schema);
        const children = schema.fields.map(
          (f) => vectorFromArray([null], f.type).data[0] ?? makeData({ type: f.type, length: 0 }),
        );
        const batch = new RecordBatch(
          schema,
          makeData({ type: new Struct(schema.fields), length: 1, nullCount: 0, children }),
        );
        try {
          const result = await writeDeltaTable(store, [batch], { mode: "append" });
          expect(result.checkpointError).toBeUndefined();
          expect(await countRows(path)).toBe(before + 1);
          outcomes[name] = "appended";
          appended.push([source, path]);
        } catch (error) {
          if (!(error instanceof FusionError) || !["UNSUPPORTED_FEATURE", "INVALID_ARGUMENT"].includes(error.code)) {
            throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
          }
          expect((await loadSnapshot(store)).version).toBe(snapshot.version);
          outcomes[name] = `refused: ${error.message}`;
        }
      }
      console.log(
        Object.entries(outcomes)
          .map(([k, v]) => `${k}: ${v}`)
          .join("\n"),
      );
      expect(appended.length).toBeGreaterThan(20);
      const { stdout } = await runPython(DELTALAKE_COUNTS, [JSON.stringify(appended)], 180_000);
      const counts: Record<string, [number | string, number | string]> = JSON.parse(stdout);
      const regressions = Object.entries(counts).filter(
        ([, [before, after]]) => typeof before === "number" && after !== before + 1,
      );
      expect(regressions).toEqual([]);
      const checked = Object.values(counts).filter(([before]) => typeof before === "number").length;
      console.log(`delta-rs read ${checked} of ${appended.length} appended tables before and after the append`);
    });
  },
);
