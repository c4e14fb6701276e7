import { ConflictError } from "@mlfusion/core";
import { decodeActionPath } from "../log/action-path.js";
import type { Action, AddAction } from "../log/actions.js";

// Logical conflict detection between a transaction and the commits that won the race for its version
// (PROTOCOL.md "Optimistic concurrency"; the rules of Delta's and delta-rs' ConflictChecker under the
// WriteSerializable and Serializable isolation levels).

/** The isolation levels of `delta.isolationLevel`; WriteSerializable is the default. */
export type IsolationLevel = "WriteSerializable" | "Serializable";

/** What a transaction read and changed, as far as conflicts are concerned. */
export interface TransactionFootprint {
  /**
   * The data the transaction read: "none" for a blind append; "all" for an overwrite of the whole table; or a
   * test telling whether a file added concurrently could hold rows the transaction's predicate matches.
   */
  readPredicate: "none" | "all" | ((add: AddAction) => boolean);
  /** Decoded paths of the files the transaction read (and may remove). */
  readFiles: ReadonlySet<string>;
  /** Decoded paths of the files the transaction removes. */
  removedFiles: ReadonlySet<string>;
  /** True when the transaction commits a metaData action. */
  changesMetadata: boolean;
  /** Application ids of the transaction's txn actions. */
  appIds: ReadonlySet<string>;
  isolationLevel: IsolationLevel;
}

/**
 * Throws a ConflictError (retryable) when the winning commit at `version` logically conflicts with the
 * transaction; returns quietly when the transaction can be rebased on top of it.
 */
export function checkConflicts(tx: TransactionFootprint, version: number, winning: readonly Action[]): void {
  const conflict = (kind: string, what: string): ConflictError =>
    new ConflictError(
      `A concurrent commit (version ${version}) ${what}, which conflicts with this write; retry the operation.`,
      { details: { version, kind } },
    );
  let isBlindAppend = false;
  const added: AddAction[] = [];
  const removed: string[] = [];
  for (const action of winning) {
    if ("protocol" in action) throw conflict("ProtocolChanged", "changed the table protocol");
    if ("metaData" in action) throw conflict("MetadataChanged", "changed the table metadata or schema");
    if ("commitInfo" in action) isBlindAppend = action.commitInfo.isBlindAppend === true;
    else if ("add" in action) added.push(action.add);
    // Every remove counts, also dataChange=false ones (compaction): removing a compacted file again, or keeping
    // its replacement, would resurrect or duplicate rows.
    else if ("remove" in action) removed.push(decodeActionPath(action.remove.path));
    else if ("txn" in action && tx.appIds.has(action.txn.appId)) {
      throw conflict("ConcurrentTransaction", `committed application transaction ${action.txn.appId}`);
    }
  }
  if (tx.readPredicate !== "none") {
    // Under WriteSerializable a concurrent blind append does not invalidate what this transaction read, unless
    // this transaction changes the metadata (Delta's checkForAddedFilesThatShouldHaveBeenReadByCurrentTxn).
    const ignoreBlindAppends = tx.isolationLevel === "WriteSerializable" && !tx.changesMetadata;
    const candidates = added.filter((a) => a.dataChange && !(ignoreBlindAppends && isBlindAppend));
    const predicate = tx.readPredicate;
    if (candidates.some((a) => predicate === "all" || predicate(a))) {
      throw conflict("ConcurrentAppend", "added files that this write should have read");
    }
  }
  if (tx.readPredicate === "all" && removed.length > 0) {
    throw conflict("ConcurrentDeleteRead", "removed files of the table this write read whole");
  }
  for (const path of removed) {
    if (tx.removedFiles.has(path)) throw conflict("ConcurrentDeleteDelete", `also removed ${path}`);
    if (tx.readFiles.has(path)) throw conflict("ConcurrentDeleteRead", `removed ${path}, which this write read`);
  }
}
