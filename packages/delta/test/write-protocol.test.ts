import { cp, readdir } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArgumentError, UnsupportedFeatureError } from "@mlfusion/core";
import { createTempDir, deltaConformanceRoot, type TempDir } from "@mlfusion/testing";
import { type RecordBatch, type Table, tableFromArrays } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { serializeActions } from "../src/log/actions.js";
import { commitPath } from "../src/log/log-segment.js";
import { loadSnapshot } from "../src/snapshot/snapshot.js";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import type { ObjectStore } from "../src/storage/object-store.js";
import { DeltaTable } from "../src/table.js";
import { vacuum } from "../src/vacuum.js";
import { updateTableMetadata } from "../src/write/update-table-metadata.js";
import { writeDeltaTable } from "../src/write/write-delta-table.js";
import { readWithDeltalake } from "./write-helpers.js";

function ints(values: number[]): Table {
  return tableFromArrays({ id: Int32Array.from(values) });
}

async function parquetFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".parquet")).map((e) => join(e.parentPath, e.name));
}

/** Commits raw actions as the next version (to build tables another engine could have written). */
async function commitRaw(store: ObjectStore, version: number, actions: Parameters<typeof serializeActions>[0]) {
  await store.putIfAbsent(commitPath(version), serializeActions(actions));
}

describe("protocol, features, failures and maintenance", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await createTempDir("delta-protocol-");
  });
  afterEach(async () => {
    await dir.close();
  });

  it("refuses to write a table whose writer features it does not implement, naming them", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, ints([1]), { mode: "append" });
    await commitRaw(store, 1, [
      {
        protocol: {
          minReaderVersion: 3,
          minWriterVersion: 7,
          readerFeatures: [],
          writerFeatures: ["rowTracking", "domainMetadata", "icebergCompatV2"],
        },
      },
    ]);
    const error = await writeDeltaTable(store, ints([2]), { mode: "append" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect(error instanceof UnsupportedFeatureError && error.feature).toBe("rowTracking");
    expect(error instanceof Error && error.message).toContain("rowTracking, icebergCompatV2");
    await expect(vacuum(store)).rejects.toBeInstanceOf(UnsupportedFeatureError);
    expect((await loadSnapshot(store)).version).toBe(1);
  });

  it("refuses legacy features only when the table uses them", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, ints([1]), { mode: "append" });
    await commitRaw(store, 1, [{ protocol: { minReaderVersion: 1, minWriterVersion: 4 } }]);
    expect((await writeDeltaTable(store, ints([2]), { mode: "append" })).version).toBe(2);
    const snapshot = await loadSnapshot(store);
    await commitRaw(store, 3, [
      { metaData: { ...snapshot.metadata, configuration: { "delta.constraints.positive": "id > 0" } } },
    ]);
    const error = await writeDeltaTable(store, ints([3]), { mode: "append" }).catch((e: unknown) => e);
    expect(error instanceof UnsupportedFeatureError && error.feature).toBe("checkConstraints");
  });

  it("refuses table properties that would switch on unimplemented features", async () => {
    const store = createLocalObjectStore(dir.path);
    const error = await writeDeltaTable(store, ints([1]), {
      mode: "append",
      configuration: { "delta.enableDeletionVectors": "true" },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    await expect(
      writeDeltaTable(store, ints([1]), { mode: "append", configuration: { "delta.enableRowTracking": "true" } }),
    ).rejects.toBeInstanceOf(UnsupportedFeatureError);
    expect(await parquetFiles(dir.path)).toEqual([]);
  });

  it("enforces delta.appendOnly", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, ints([1]), { mode: "append", configuration: { "delta.appendOnly": "true" } });
    await expect(writeDeltaTable(store, ints([2]), { mode: "overwrite" })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await writeDeltaTable(store, ints([2]), { mode: "append" })).version).toBe(1);
  });

  it("commits nothing when the input fails midway or the signal aborts", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, ints([1]), { mode: "append" });
    async function* failing(): AsyncGenerator<RecordBatch> {
      yield* ints([2, 3]).batches;
      throw new Error("the upload was interrupted");
    }
    await expect(writeDeltaTable(store, failing(), { mode: "append" })).rejects.toThrow("the upload was interrupted");
    const controller = new AbortController();
    async function* aborting(): AsyncGenerator<RecordBatch> {
      yield* ints([4]).batches;
      controller.abort();
      yield* ints([5]).batches;
    }
    const aborted = await writeDeltaTable(store, aborting(), { mode: "append", signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect(aborted instanceof Error && aborted.name).toBe("AbortError");
    expect((await loadSnapshot(store)).version).toBe(0);
    expect((await readWithDeltalake(dir.path, "id")).rows).toEqual([{ id: 1 }]);
  });

  it("vacuum keeps files within the retention period and deletes expired tombstones' files", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, ints([1]), { mode: "append" });
    const [old] = (await loadSnapshot(store)).files;
    await writeDeltaTable(store, ints([2]), { mode: "overwrite" });
    await expect(vacuum(store, { retentionHours: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await vacuum(store)).deleted).toEqual([]);
    const dry = await vacuum(store, { retentionHours: 0, enforceRetentionDuration: false, dryRun: true });
    expect(dry.deleted).toEqual([old?.path]);
    expect((await parquetFiles(dir.path)).length).toBe(2);
    const { deleted } = await vacuum(store, { retentionHours: 0, enforceRetentionDuration: false });
    expect(deleted).toEqual([old?.path]);
    expect((await parquetFiles(dir.path)).length).toBe(1);
    expect((await readWithDeltalake(dir.path, "id")).rows).toEqual([{ id: 2 }]);
    // The table's own retention is the default, and the floor for an explicit one.
    await updateTableMetadata(store, { configuration: { "delta.deletedFileRetentionDuration": "interval 30 days" } });
    expect((await vacuum(store)).deleted).toEqual([]);
    await expect(vacuum(store, { retentionHours: 168 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it.skipIf(deltaConformanceRoot() === undefined)(
    "writes to a table with deletion vectors: appends, replaceWhere honours deleted rows, vacuum keeps the vector (skipped when ../shared/delta-conformance is absent)",
    async () => {
      const source = join(deltaConformanceRoot() ?? "", "delta-rs", "table-with-dv-small");
      await cp(source, dir.path, { recursive: true });
      const store = createLocalObjectStore(dir.path);
      const values = async (): Promise<number[]> => {
        const out: number[] = [];
        for await (const batch of (await DeltaTable.open(store)).scan()) {
          for (const v of batch.getChild("value") ?? []) out.push(Number(v));
        }
        return out.sort((a, b) => a - b);
      };
      expect(await values()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]); // 0 and 9 are deleted by the vector
      await writeDeltaTable(store, tableFromArrays({ value: Int32Array.from([20]) }), { mode: "append" });
      const dry = await vacuum(store, { retentionHours: 0, enforceRetentionDuration: false, dryRun: true });
      expect(dry.deleted).toEqual([]);
      await writeDeltaTable(store, tableFromArrays({ value: Int32Array.from([5]) }), {
        mode: "overwrite",
        predicate: "value >= 5 AND value < 10",
      });
      expect(await values()).toEqual([1, 2, 3, 4, 5, 20]);
    },
  );

  it("updateTableMetadata commits descriptions and tags that delta-rs sees", async () => {
    const store = createLocalObjectStore(dir.path);
    await writeDeltaTable(store, ints([1]), { mode: "append", name: "numbers" });
    const { version } = await updateTableMetadata(store, {
      description: "Small numbers",
      configuration: { "mlfusion.tag.team": "risk" },
    });
    expect(version).toBe(1);
    expect((await updateTableMetadata(store, { description: "Small numbers" })).version).toBe(1);
    const snapshot = await loadSnapshot(store);
    expect(snapshot.metadata).toMatchObject({
      name: "numbers",
      description: "Small numbers",
      configuration: { "mlfusion.tag.team": "risk" },
    });
    const view = await readWithDeltalake(dir.path, "id");
    expect(view.history[0]).toEqual({ version: 1, operation: "SET TBLPROPERTIES" });
  });
});
