import { InvalidArgumentError } from "@mlfusion/core";
import { uuidDeletionVectorPath } from "./deletion-vectors/deletion-vector.js";
import type { DeletionVectorDescriptor } from "./log/actions.js";
import { LOG_FOLDER } from "./log/log-segment.js";
import { assertWritable } from "./protocol/writer-features.js";
import { canonicalFilePath, loadSnapshot } from "./snapshot/snapshot.js";
import type { ObjectStore } from "./storage/object-store.js";
import { parseInterval } from "./write/table-configuration.js";

/** Default retention (PROTOCOL.md / Delta's `delta.deletedFileRetentionDuration` default of one week). */
const DEFAULT_RETENTION_HOURS = 168;

/** Options of {@link vacuum}. */
export interface VacuumOptions {
  /** Files must have been unreferenced for this long before deletion (default: the table's
   * `delta.deletedFileRetentionDuration`, else 168 hours). */
  retentionHours?: number;
  /** List what would be deleted without deleting. */
  dryRun?: boolean;
  /** Refuse a retention shorter than the table's `delta.deletedFileRetentionDuration` (default true). */
  enforceRetentionDuration?: boolean;
  signal?: AbortSignal;
}

/**
 * Deletes data files the current version does not reference and that are older than the retention period:
 * files removed by earlier commits (once their tombstones expire) and orphans of failed or crashed writes.
 * Never touches `_delta_log/` or hidden files. Returns the deleted (or, with dryRun, deletable) paths.
 *
 * @example
 * const { deleted } = await vacuum(store, { retentionHours: 0, enforceRetentionDuration: false });
 */
export async function vacuum(store: ObjectStore, options: VacuumOptions = {}): Promise<{ deleted: string[] }> {
  const { signal } = options;
  const snapshot = await loadSnapshot(store, signal === undefined ? {} : { signal });
  assertWritable(snapshot.protocol, snapshot.metadata, snapshot.schema, store.location);
  const configuredMs =
    parseInterval(snapshot.metadata.configuration["delta.deletedFileRetentionDuration"]) ??
    DEFAULT_RETENTION_HOURS * 3_600_000;
  // Without an explicit retention, the table's own delta.deletedFileRetentionDuration applies (as in Spark).
  const retentionHours = options.retentionHours ?? configuredMs / 3_600_000;
  if (!(retentionHours >= 0)) throw new InvalidArgumentError("retentionHours must be zero or more.");
  const retentionMs = retentionHours * 3_600_000;
  if ((options.enforceRetentionDuration ?? true) && retentionMs < configuredMs) {
    throw new InvalidArgumentError(
      `A retention of ${retentionHours} hours is shorter than the table's ${configuredMs / 3_600_000} hours and could delete files that concurrent readers or time travel still need; force it with enforceRetentionDuration: false (CLI: fusion delta vacuum --no-enforce-retention).`,
    );
  }
  const cutoff = Date.now() - retentionMs;
  const keep = new Set<string>();
  // Compare in the listing's terms: paths relative to the table, whether the log wrote them relative, as
  // `file:` URIs or as absolute paths inside the table (Spark's CONVERT TO DELTA and clones do).
  const root = store.location;
  const protect = (action: { path: string; deletionVector?: DeletionVectorDescriptor | null }) => {
    keep.add(canonicalFilePath(action.path, root));
    const dv = deletionVectorPath(action.deletionVector, root);
    if (dv !== undefined) keep.add(dv);
  };
  for (const add of snapshot.files) protect(add);
  for (const remove of snapshot.tombstones) {
    if ((remove.deletionTimestamp ?? 0) > cutoff) protect(remove);
  }
  const listed = await store.list(
    "",
    signal === undefined ? { includeIncomplete: true } : { signal, includeIncomplete: true },
  );
  const nested = nestedTableRoots(listed);
  const candidates = listed.filter(
    (meta) =>
      meta.lastModified < cutoff &&
      !meta.path.startsWith(LOG_FOLDER) &&
      !nested.some((root) => meta.path.startsWith(root)) &&
      // Leftovers of writes that never completed (a crashed writer) are ours to remove, wherever they are.
      (meta.incomplete === true || (!isHidden(meta.path) && !keep.has(meta.path))),
  );
  const deleted = candidates.map((meta) => meta.path);
  if (options.dryRun !== true) {
    for (const path of deleted) {
      signal?.throwIfAborted();
      await store.delete(path);
    }
  }
  return { deleted };
}

/**
 * Folders inside the table that are Delta tables themselves (they hold a `_delta_log/`): their files belong to
 * that table, never to this one's vacuum. Returned as path prefixes ending in `/`.
 */
function nestedTableRoots(listed: readonly { path: string }[]): string[] {
  const roots = new Set<string>();
  for (const { path } of listed) {
    const at = path.indexOf(`/${LOG_FOLDER}`);
    if (at > 0) roots.add(path.slice(0, at + 1));
  }
  return [...roots];
}

/** Hidden files and folders (`_...` except partition folders `_x=1`, and `.…`) belong to other tools. */
function isHidden(path: string): boolean {
  return path
    .split("/")
    .some((segment) => segment.startsWith(".") || (segment.startsWith("_") && !segment.includes("=")));
}

/** The table-relative file of a deletion vector kept in a file: UUID-named ("u") or at an absolute path ("p"). */
function deletionVectorPath(dv: DeletionVectorDescriptor | null | undefined, root: string): string | undefined {
  if (dv == null) return undefined;
  if (dv.storageType === "u") return uuidDeletionVectorPath(dv.pathOrInlineDv);
  if (dv.storageType === "p") return canonicalFilePath(dv.pathOrInlineDv, root);
  return undefined;
}
