import { NotFoundError } from "@mlfusion/core";
import { isRecord, parseCommitFile } from "./log/actions.js";
import { LOG_FOLDER, parseLogFile } from "./log/log-segment.js";
import type { ObjectStore } from "./storage/object-store.js";

/** One commit of a table's history (PROTOCOL.md "Commit Provenance Information"). */
export interface HistoryEntry {
  version: number;
  /** Commit time, epoch ms: inCommitTimestamp, else commitInfo.timestamp, else the commit file's mtime. */
  timestamp: number;
  /** commitInfo.operation ("WRITE", "CREATE TABLE", ...), or "UNKNOWN" for a commit without commitInfo. */
  operation: string;
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
  const selected = options.limit === undefined ? commits : commits.slice(0, Math.max(0, options.limit));
  return Promise.all(
    selected.map(async (file) => {
      const actions = parseCommitFile(await store.get(file.meta.path, signal), file.meta.path);
      const info = actions.find((a) => "commitInfo" in a);
      const commitInfo = info !== undefined && "commitInfo" in info ? info.commitInfo : {};
      const metrics = isRecord(commitInfo.operationMetrics) ? commitInfo.operationMetrics : {};
      const entry: HistoryEntry = {
        version: file.version,
        timestamp: numberOf(commitInfo.inCommitTimestamp) ?? numberOf(commitInfo.timestamp) ?? file.meta.lastModified,
        operation: typeof commitInfo.operation === "string" ? commitInfo.operation : "UNKNOWN",
        operationParameters: isRecord(commitInfo.operationParameters) ? commitInfo.operationParameters : {},
        operationMetrics: metrics,
      };
      const rows = numberOf(metrics.numOutputRows) ?? numberOf(metrics.num_added_rows);
      if (rows !== undefined) entry.rowsAdded = rows;
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
