import { AlreadyExistsError, ConflictError, NotFoundError } from "@mlfusion/core";
import { type Action, parseCommitFile, serializeActions } from "../log/actions.js";
import { commitPath } from "../log/log-segment.js";
import type { ObjectStore } from "../storage/object-store.js";
import { checkConflicts, type TransactionFootprint } from "./conflict-checker.js";
import { ENGINE_INFO } from "./engine-info.js";

/** Attempts before a transaction gives up rebasing (delta-rs uses 15 as well). */
const DEFAULT_MAX_ATTEMPTS = 15;

/** A transaction ready to commit: its actions (without commitInfo) and what it read. */
export interface PreparedTransaction {
  /** The version the transaction read; -1 when it creates the table. */
  readVersion: number;
  actions: Action[];
  /** commitInfo.operation, e.g. "WRITE", "CREATE TABLE", "SET TBLPROPERTIES". */
  operation: string;
  operationParameters: Record<string, unknown>;
  operationMetrics?: Record<string, string>;
  /** Caller-supplied commitInfo entries (never overriding the protocol's keys). */
  commitInfo?: Record<string, unknown>;
  footprint: TransactionFootprint;
}

/**
 * Commits a transaction with put-if-absent. When another writer won the version, reads each winning commit,
 * checks it for logical conflicts (ConflictError, retryable, when there is one) and retries at the next
 * version. Resolves with the committed version.
 *
 * @example
 * const version = await commitTransaction(store, { readVersion: 3, actions, operation: "WRITE", ... });
 */
export async function commitTransaction(
  store: ObjectStore,
  tx: PreparedTransaction,
  options: { signal?: AbortSignal; maxAttempts?: number } = {},
): Promise<number> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  let version = tx.readVersion + 1;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    const commitInfo: Record<string, unknown> = {
      ...tx.commitInfo,
      timestamp: Date.now(),
      operation: tx.operation,
      operationParameters: tx.operationParameters,
      ...(tx.readVersion >= 0 ? { readVersion: tx.readVersion } : {}),
      isolationLevel: tx.footprint.isolationLevel,
      isBlindAppend: tx.footprint.readPredicate === "none" && tx.footprint.removedFiles.size === 0,
      ...(tx.operationMetrics === undefined ? {} : { operationMetrics: tx.operationMetrics }),
      engineInfo: ENGINE_INFO,
    };
    try {
      await store.putIfAbsent(commitPath(version), serializeActions([{ commitInfo }, ...tx.actions]));
      return version;
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
    }
    if (tx.readVersion < 0) {
      throw new ConflictError(
        `The Delta table at ${store.location} was created by a concurrent writer; retry the write to append to it.`,
        { details: { version, kind: "TableCreated" } },
      );
    }
    if (attempt >= maxAttempts) {
      throw new ConflictError(
        `Gave up committing to ${store.location} after ${attempt} attempts lost to concurrent writers; retry the write.`,
        { details: { version, kind: "TooManyRetries" } },
      );
    }
    // Check every commit that won since our read, then rebase onto the newest one.
    for (;;) {
      const winning = await readCommit(store, version, options.signal);
      if (winning === undefined) break;
      checkConflicts(tx.footprint, version, winning);
      version += 1;
    }
  }
}

/** The actions of the commit at `version`, or undefined when it does not exist (yet). */
async function readCommit(store: ObjectStore, version: number, signal?: AbortSignal): Promise<Action[] | undefined> {
  const path = commitPath(version);
  try {
    return parseCommitFile(await store.get(path, signal), path);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
