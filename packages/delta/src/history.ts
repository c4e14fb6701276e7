import { NotFoundError } from "@mlfusion/core";
import { isRecord, parseCommitFile } from "./log/actions.js";
import { LOG_FOLDER, parseLogFile } from "./log/log-segment.js";
import type { ObjectStore } from "./storage/object-store.js";

/** One commit of a table's history (PROTOCOL.md "Commit Provenance Information"). */
export interface HistoryEntry {
  version: number;
  /**
   * Commit time, epoch ms, as timestamp time travel resolves it: inCommitTimestamp, else the commit file's
   * modification time made monotonic (Spark's history does the same). The writer's own clock is commitTime.
   */
  timestamp: number;
  /** commitInfo.operation ("WRITE", "CREATE TABLE", ...), or "UNKNOWN" for a commit without commitInfo. */
  operation: string;
  /** commitInfo.timestamp: the writer's clock when it committed, if it recorded one. */
  commitTime?: number;
  operationParameters: Record<string, unknown>;
  operationMetrics: Record<string, unknown>;
  /** Rows the commit added, from its metrics (Spark's numOutputRows or delta-rs' num_added_rows). */
  rowsAdded?: number;
  engineInfo?: string;
}

/**
 * The commits of a table, newest first (at most `limit`). Only commits whose JSON files are still in the log
 * are listed (log cleanup may have removed older ones).
 *
 * @example
 * const [latest] = await readHistory(store, { limit: 1 });
 */
export async function readHistory(
  store: ObjectStore,
  options: { limit?: number; signal?: AbortSignal } = {},
): Promise<HistoryEntry[]> {
  const { signal } = options;
  const listed = await store.list(LOG_FOLDER, signal === undefined ? {} : { signal });
  const commits = listed
    .map((meta) => parseLogFile(meta))
    .filter((f) => f?.kind === "commit")
    .flatMap((f) => (f === undefined ? [] : [f]))
    .sort((a, b) => b.version - a.version);
  if (commits.length === 0 && !listed.some((m) => parseLogFile(m)?.kind === "checkpoint")) {
    throw new NotFoundError(`${store.location} is not a Delta table (no _delta_log commits); check the path.`);
  }
  // Commit times as time travel sees them (snapshot/timestamp-travel.ts, and Spark's history): the commit
  // file's modification time made monotonic, unless the commit carries an in-commit timestamp. So
  // `DeltaTable.open(store, { timestamp: entry.timestamp })` opens exactly `entry.version`.
  const fileTimes = new Map<number, number>();
  let previous = Number.NEGATIVE_INFINITY;
  for (const commit of [...commits].reverse()) {
    previous = Math.max(Math.floor(commit.meta.lastModified), previous + 1);
    fileTimes.set(commit.version, previous);
  }
  const selected = options.limit === undefined ? commits : commits.slice(0, Math.max(0, options.limit));
  return Promise.all(
    selected.map(async (file) => {
      const actions = parseCommitFile(await store.get(file.meta.path, signal), file.meta.path);
      const info = actions.find((a) => "commitInfo" in a);
      const commitInfo = info !== undefined && "commitInfo" in info ? info.commitInfo : {};
      const metrics = isRecord(commitInfo.operationMetrics) ? commitInfo.operationMetrics : {};
      const entry: HistoryEntry = {
        version: file.version,
        timestamp: numberOf(commitInfo.inCommitTimestamp) ?? fileTimes.get(file.version) ?? file.meta.lastModified,
        operation: typeof commitInfo.operation === "string" ? commitInfo.operation : "UNKNOWN",
        operationParameters: isRecord(commitInfo.operationParameters) ? commitInfo.operationParameters : {},
        operationMetrics: metrics,
      };
      const rows = numberOf(metrics.numOutputRows) ?? numberOf(metrics.num_added_rows);
      if (rows !== undefined) entry.rowsAdded = rows;
      const commitTime = numberOf(commitInfo.timestamp);
      if (commitTime !== undefined) entry.commitTime = commitTime;
      if (typeof commitInfo.engineInfo === "string") entry.engineInfo = commitInfo.engineInfo;
      return entry;
    }),
  );
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}
