import { CorruptTableError, InvalidArgumentError, NotFoundError } from "@mlfusion/core";
import { createTempDir, runPython, type TempDir } from "@mlfusion/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serializeActions } from "../log/actions.js";
import { commitPath } from "../log/log-segment.js";
import { createLocalObjectStore } from "../storage/local-object-store.js";
import { loadSnapshot } from "./snapshot.js";

// A table written by delta-rs: v0 create (2 rows), v1 append, v2 append + checkpoint, v3 overwrite, v4 append.
const WRITE_TABLE = `
import sys, pyarrow as pa
from deltalake import write_deltalake, DeltaTable
path = sys.argv[1]
def t(ids): return pa.table({"id": pa.array(ids, pa.int64()), "p": pa.array(["a" if i % 2 else "b" for i in ids])})
write_deltalake(path, t([0, 1]), partition_by=["p"])
write_deltalake(path, t([2]), mode="append")
write_deltalake(path, t([3]), mode="append")
DeltaTable(path).create_checkpoint()
write_deltalake(path, t([10, 11, 12]), mode="overwrite")
write_deltalake(path, t([13]), mode="append", commit_properties=None)
`;

describe("loadSnapshot", () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await createTempDir("snapshot-");
    await runPython(WRITE_TABLE, [dir.path]);
  });
  afterAll(async () => {
    await dir.close();
  });

  it("reconciles a delta-rs table at its latest version using the checkpoint", async () => {
    const store = createLocalObjectStore(dir.path);
    const snapshot = await loadSnapshot(store);
    expect(snapshot.version).toBe(4);
    expect(snapshot.partitionColumns).toEqual(["p"]);
    expect(snapshot.schema.fields.map((f) => f.name)).toEqual(["id", "p"]);
    expect(snapshot.logSegment.checkpoint?.version).toBe(2);
    expect(snapshot.logSegment.commits.map((c) => c.version)).toEqual([3, 4]);
    // v3 overwrote everything: the files of v0-v2 are tombstones, the active files are those of v3 and v4.
    const rows = snapshot.files.reduce((n, f) => n + Number(JSON.parse(f.stats ?? "{}").numRecords ?? 0), 0);
    expect(rows).toBe(4);
    expect(snapshot.tombstones.length).toBeGreaterThanOrEqual(3);
    expect(snapshot.timestamp).toBeGreaterThan(0);
  });

  it("time travels by version and by timestamp", async () => {
    const store = createLocalObjectStore(dir.path);
    const v1 = await loadSnapshot(store, { version: 1 });
    expect(v1.version).toBe(1);
    expect(v1.files.length).toBe(3);
    expect(v1.tombstones).toHaveLength(0);
    const byTime = await loadSnapshot(store, { timestamp: v1.timestamp });
    expect(byTime.version).toBeGreaterThanOrEqual(1);
    const latest = await loadSnapshot(store, { timestamp: new Date(Date.now() + 60_000) });
    expect(latest.version).toBe(4);
    await expect(loadSnapshot(store, { timestamp: "2001-01-01T00:00:00Z" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(loadSnapshot(store, { version: 9 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(loadSnapshot(store, { timestamp: "yesterday" })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("falls back to listing when _last_checkpoint is corrupt", async () => {
    const copy = await createTempDir("snapshot-copy-");
    try {
      await runPython("import shutil, sys; shutil.copytree(sys.argv[1], sys.argv[2], dirs_exist_ok=True)", [
        dir.path,
        copy.path,
      ]);
      const store = createLocalObjectStore(copy.path);
      await store.put("_delta_log/_last_checkpoint", new TextEncoder().encode('{"version": 2, "si'));
      expect((await loadSnapshot(store)).version).toBe(4);
      await store.put("_delta_log/_last_checkpoint", new TextEncoder().encode('{"version": 7, "size": 3}'));
      expect((await loadSnapshot(store)).version).toBe(4);
    } finally {
      await copy.close();
    }
  });
});

describe("loadSnapshot errors", () => {
  const protocol = { protocol: { minReaderVersion: 1, minWriterVersion: 2 } };
  const metaData = {
    metaData: {
      id: "t",
      format: { provider: "parquet", options: {} },
      schemaString: '{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}',
      partitionColumns: [],
      configuration: {},
    },
  };

  it("uses in-commit timestamps for the snapshot time and for time travel by timestamp", async () => {
    const dir = await createTempDir("snapshot-ict-");
    try {
      const store = createLocalObjectStore(dir.path);
      const ict = [1_000_000, 2_000_000, 3_000_000];
      for (const [v, t] of ict.entries()) {
        const actions = [{ commitInfo: { inCommitTimestamp: t, operation: "WRITE" } }];
        await store.put(commitPath(v), serializeActions(v === 0 ? [...actions, protocol, metaData] : actions));
      }
      expect((await loadSnapshot(store)).timestamp).toBe(3_000_000);
      expect((await loadSnapshot(store, { timestamp: 2_500_000 })).version).toBe(1);
      expect((await loadSnapshot(store, { timestamp: 2_000_000 })).version).toBe(1);
      expect((await loadSnapshot(store, { timestamp: new Date(9_000_000) })).version).toBe(2);
      await expect(loadSnapshot(store, { timestamp: 999_999 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(loadSnapshot(store, { version: 1, timestamp: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    } finally {
      await dir.close();
    }
  });

  it("says a folder without _delta_log is not a Delta table", async () => {
    const dir = await createTempDir("snapshot-");
    try {
      await expect(loadSnapshot(createLocalObjectStore(dir.path))).rejects.toThrow(/is not a Delta table/);
      await expect(loadSnapshot(createLocalObjectStore(dir.path))).rejects.toBeInstanceOf(NotFoundError);
    } finally {
      await dir.close();
    }
  });

  it("rejects corrupt JSON, missing metadata and version gaps as CorruptTableError", async () => {
    const dir = await createTempDir("snapshot-");
    try {
      const store = createLocalObjectStore(dir.path);
      await store.put(commitPath(0), serializeActions([protocol]));
      await expect(loadSnapshot(store)).rejects.toThrow(/no metaData action/);
      await store.put(commitPath(0), serializeActions([protocol, metaData]));
      expect((await loadSnapshot(store)).version).toBe(0);
      await store.put(commitPath(2), serializeActions([]));
      await expect(loadSnapshot(store)).rejects.toThrow(/no commit for version 1/);
      await store.put(commitPath(1), new TextEncoder().encode('{"add": {"path": "x"'));
      const error = await loadSnapshot(store).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptTableError);
      expect(String(error)).toMatch(/invalid JSON on line 1/);
    } finally {
      await dir.close();
    }
  });
});
