import { ConflictError } from "@mlfusion/core";
import { describe, expect, it } from "vitest";
import type { Action } from "../log/actions.js";
import { checkConflicts, type TransactionFootprint } from "./conflict-checker.js";

const blindAppend: TransactionFootprint = {
  readPredicate: "none",
  readFiles: new Set(),
  removedFiles: new Set(),
  changesMetadata: false,
  appIds: new Set(),
  isolationLevel: "WriteSerializable",
};
const overwrite: TransactionFootprint = {
  ...blindAppend,
  readPredicate: "all",
  readFiles: new Set(["a.parquet"]),
  removedFiles: new Set(["a.parquet"]),
};
const add = (path: string): Action => ({
  add: { path, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true },
});
const remove = (path: string): Action => ({ remove: { path, dataChange: true } });
const kind = (f: () => void): unknown => {
  try {
    f();
    return undefined;
  } catch (error) {
    return error instanceof ConflictError ? error.details.kind : error;
  }
};

describe("checkConflicts", () => {
  it("lets blind appends rebase over appends and removes", () => {
    expect(
      kind(() => checkConflicts(blindAppend, 3, [{ commitInfo: { isBlindAppend: true } }, add("b.parquet")])),
    ).toBeUndefined();
    expect(kind(() => checkConflicts(blindAppend, 3, [remove("a.parquet")]))).toBeUndefined();
  });

  it("reports metadata, protocol and application-transaction conflicts", () => {
    expect(
      kind(() => checkConflicts(blindAppend, 3, [{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }])),
    ).toBe("ProtocolChanged");
    expect(
      kind(() => checkConflicts({ ...blindAppend, appIds: new Set(["x"]) }, 3, [{ txn: { appId: "x", version: 2 } }])),
    ).toBe("ConcurrentTransaction");
  });

  it("follows the isolation level for overwrites racing blind appends", () => {
    const winner: Action[] = [{ commitInfo: { isBlindAppend: true } }, add("b.parquet")];
    expect(kind(() => checkConflicts(overwrite, 3, winner))).toBeUndefined();
    expect(kind(() => checkConflicts({ ...overwrite, isolationLevel: "Serializable" }, 3, winner))).toBe(
      "ConcurrentAppend",
    );
    expect(kind(() => checkConflicts({ ...overwrite, changesMetadata: true }, 3, winner))).toBe("ConcurrentAppend");
    expect(kind(() => checkConflicts(overwrite, 3, [{ commitInfo: {} }, add("b.parquet")]))).toBe("ConcurrentAppend");
  });

  it("reports files removed concurrently that the transaction read or removes", () => {
    expect(kind(() => checkConflicts(overwrite, 3, [remove("a.parquet")]))).toBe("ConcurrentDeleteRead");
    const compaction: Action = { remove: { path: "a.parquet", dataChange: false } };
    const replaceWhere = { ...overwrite, readPredicate: () => false };
    expect(kind(() => checkConflicts(replaceWhere, 3, [compaction]))).toBe("ConcurrentDeleteDelete");
    const reader = { ...overwrite, removedFiles: new Set<string>() };
    expect(kind(() => checkConflicts(reader, 3, [remove("a.parquet")]))).toBe("ConcurrentDeleteRead");
  });
});
