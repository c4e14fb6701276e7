import { CorruptTableError, NotFoundError } from "@mlfusion/core";
import type { ObjectMeta, ObjectStore } from "../storage/object-store.js";
import { isRecord } from "./actions.js";

// The log segment of a version (PROTOCOL.md "Delta Log Entries", "Checkpoints", "Last Checkpoint File"): the
// newest complete checkpoint at or below the version plus the contiguous commits after it.

export const LOG_FOLDER = "_delta_log/";

/** A file of `_delta_log/` recognised by its name. */
export type LogFile =
  | { kind: "commit"; version: number; meta: ObjectMeta }
  | { kind: "checkpoint"; version: number; meta: ObjectMeta; part?: { index: number; count: number }; v2?: boolean }
  | { kind: "crc"; version: number; meta: ObjectMeta };

/** A complete checkpoint: one file (classic or V2, parquet or json) or every part of a multi-part checkpoint. */
export interface Checkpoint {
  version: number;
  kind: "classic" | "multi-part" | "v2";
  files: ObjectMeta[];
}

/** What a snapshot is built from: a checkpoint (optional) and the commits after it, oldest first. */
export interface LogSegment {
  version: number;
  checkpoint?: Checkpoint;
  /** Commit files with versions checkpoint.version + 1 .. version, ascending. */
  commits: { version: number; meta: ObjectMeta }[];
}

/** The parsed `_delta_log/_last_checkpoint` hint. */
export interface LastCheckpointHint {
  version: number;
  parts?: number;
}

/** Zero-padded 20-digit version as used in log file names. */
export function versionPrefix(version: number): string {
  return String(version).padStart(20, "0");
}

/** The path of the commit file of `version`, relative to the table root. */
export function commitPath(version: number): string {
  return `${LOG_FOLDER}${versionPrefix(version)}.json`;
}

const COMMIT = /^(\d{20})\.json$/;
const CLASSIC_CHECKPOINT = /^(\d{20})\.checkpoint\.parquet$/;
const MULTI_PART_CHECKPOINT = /^(\d{20})\.checkpoint\.(\d+)\.(\d+)\.parquet$/;
const V2_CHECKPOINT = /^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(json|parquet)$/;
const CRC = /^(\d{20})\.crc$/;

/** Recognises a log file by name; undefined for anything else (compacted logs, temp files, sidecars). */
export function parseLogFile(meta: ObjectMeta): LogFile | undefined {
  if (!meta.path.startsWith(LOG_FOLDER)) return undefined;
  const name = meta.path.slice(LOG_FOLDER.length);
  if (name.includes("/")) return undefined;
  let m = COMMIT.exec(name);
  if (m !== null) return { kind: "commit", version: Number(m[1]), meta };
  m = CLASSIC_CHECKPOINT.exec(name);
  if (m !== null) return { kind: "checkpoint", version: Number(m[1]), meta };
  m = MULTI_PART_CHECKPOINT.exec(name);
  if (m !== null) {
    return { kind: "checkpoint", version: Number(m[1]), meta, part: { index: Number(m[2]), count: Number(m[3]) } };
  }
  m = V2_CHECKPOINT.exec(name);
  if (m !== null) return { kind: "checkpoint", version: Number(m[1]), meta, v2: true };
  m = CRC.exec(name);
  if (m !== null) return { kind: "crc", version: Number(m[1]), meta };
  return undefined;
}

/** Lists and recognises the log files, optionally only those at or above `fromVersion`. */
export async function listLogFiles(
  store: ObjectStore,
  options: { fromVersion?: number; signal?: AbortSignal } = {},
): Promise<LogFile[]> {
  const listOptions: { startAfter?: string; signal?: AbortSignal } = {};
  // Every file of version v sorts after the bare prefix "_delta_log/<v>", so this lists versions >= fromVersion.
  if (options.fromVersion !== undefined && options.fromVersion > 0) {
    listOptions.startAfter = `${LOG_FOLDER}${versionPrefix(options.fromVersion)}`;
  }
  if (options.signal !== undefined) listOptions.signal = options.signal;
  const objects = await store.list(LOG_FOLDER, listOptions);
  const files: LogFile[] = [];
  for (const meta of objects) {
    const file = parseLogFile(meta);
    if (file !== undefined) files.push(file);
  }
  return files;
}

/**
 * Reads `_last_checkpoint`. A missing, unreadable or malformed hint gives undefined: it is only a hint, and the
 * reader then falls back to listing the whole log.
 */
export async function readLastCheckpoint(
  store: ObjectStore,
  signal?: AbortSignal,
): Promise<LastCheckpointHint | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await store.get(`${LOG_FOLDER}_last_checkpoint`, signal);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (!isRecord(value) || typeof value.version !== "number" || !Number.isInteger(value.version)) return undefined;
    const hint: LastCheckpointHint = { version: value.version };
    if (typeof value.parts === "number") hint.parts = value.parts;
    return hint;
  } catch {
    // A torn or corrupt hint is expected after a crash mid-write; listing the log is always correct.
    return undefined;
  }
}

/**
 * Builds the log segment for `version` (the latest when omitted): starts from `_last_checkpoint` when it is
 * usable and falls back to a full listing when it is stale or corrupt.
 *
 * Errors: NotFoundError when there is no log at all or the version does not exist (or was cleaned up);
 * CorruptTableError when commit versions are not contiguous.
 */
export async function buildLogSegment(
  store: ObjectStore,
  options: { version?: number; signal?: AbortSignal } = {},
): Promise<LogSegment> {
  const { version: target, signal } = options;
  if (target !== undefined && (!Number.isInteger(target) || target < 0)) {
    throw new NotFoundError(`Version ${target} does not exist in ${store.location}; versions are integers >= 0.`);
  }
  const hint = await readLastCheckpoint(store, signal);
  if (hint !== undefined && (target === undefined || hint.version <= target)) {
    const listed = await listLogFiles(
      store,
      signal === undefined ? { fromVersion: hint.version } : { fromVersion: hint.version, signal },
    );
    const segment = segmentFromFiles(store, listed, target, true);
    if (segment !== undefined) return segment;
  }
  const all = await listLogFiles(store, signal === undefined ? {} : { signal });
  const segment = segmentFromFiles(store, all, target, false);
  if (segment === undefined) throw notATable(store);
  return segment;
}

/** Groups checkpoint files by version and returns the complete checkpoints, newest first. */
export function completeCheckpoints(files: readonly LogFile[]): Checkpoint[] {
  const byVersion = new Map<number, LogFile[]>();
  for (const file of files) {
    if (file.kind !== "checkpoint") continue;
    const list = byVersion.get(file.version) ?? [];
    list.push(file);
    byVersion.set(file.version, list);
  }
  const out: Checkpoint[] = [];
  for (const [version, list] of byVersion) {
    const single = list.find((f) => f.kind === "checkpoint" && f.part === undefined && f.v2 === true);
    const classic = list.find((f) => f.kind === "checkpoint" && f.part === undefined && f.v2 !== true);
    if (single !== undefined) {
      out.push({ version, kind: "v2", files: [single.meta] });
      continue;
    }
    if (classic !== undefined) {
      out.push({ version, kind: "classic", files: [classic.meta] });
      continue;
    }
    // Multi-part: a set is usable only when every part 1..count is present (PROTOCOL.md "Multi-part checkpoint").
    const byCount = new Map<number, Map<number, ObjectMeta>>();
    for (const f of list) {
      if (f.kind !== "checkpoint" || f.part === undefined) continue;
      const parts = byCount.get(f.part.count) ?? new Map<number, ObjectMeta>();
      parts.set(f.part.index, f.meta);
      byCount.set(f.part.count, parts);
    }
    for (const [count, parts] of byCount) {
      const files: ObjectMeta[] = [];
      for (let i = 1; i <= count; i++) {
        const part = parts.get(i);
        if (part !== undefined) files.push(part);
      }
      if (files.length === count) {
        out.push({ version, kind: "multi-part", files });
        break;
      }
    }
  }
  return out.sort((a, b) => b.version - a.version);
}

function segmentFromFiles(
  store: ObjectStore,
  files: readonly LogFile[],
  target: number | undefined,
  fromHint: boolean,
): LogSegment | undefined {
  const commits = new Map<number, ObjectMeta>();
  for (const f of files) if (f.kind === "commit") commits.set(f.version, f.meta);
  const checkpoints = completeCheckpoints(files).filter((c) => target === undefined || c.version <= target);
  if (commits.size === 0 && checkpoints.length === 0) return undefined;
  const latestCommit = Math.max(-1, ...commits.keys());
  const latestCheckpoint = checkpoints[0]?.version ?? -1;
  const latest = Math.max(latestCommit, completeCheckpoints(files)[0]?.version ?? -1);
  const version = target ?? Math.max(latestCommit, latestCheckpoint);
  if (target !== undefined && target > latest) {
    if (fromHint) return undefined;
    throw new NotFoundError(
      `Version ${target} of the Delta table at ${store.location} does not exist; the latest version is ${latest}.`,
      { details: { version: target, latest } },
    );
  }
  const checkpoint = checkpoints[0];
  if (fromHint && checkpoint === undefined) return undefined; // stale hint: its checkpoint is gone
  const start = checkpoint === undefined ? 0 : checkpoint.version + 1;
  const segmentCommits: { version: number; meta: ObjectMeta }[] = [];
  for (let v = start; v <= version; v++) {
    const meta = commits.get(v);
    if (meta === undefined) {
      if (fromHint) return undefined;
      const earliest = Math.min(...commits.keys());
      if (checkpoint === undefined && v === 0 && target !== undefined && target < earliest) {
        throw new NotFoundError(
          `Version ${target} of the Delta table at ${store.location} is no longer available (its log was cleaned up); the earliest version is ${earliest}.`,
          { details: { version: target, earliest } },
        );
      }
      throw new CorruptTableError(
        `The Delta log at ${store.location} has no commit for version ${v} (versions must be contiguous${checkpoint === undefined ? " from 0 when no checkpoint precedes them" : ` after the checkpoint at ${checkpoint.version}`}); the log is damaged.`,
        { details: { missingVersion: v } },
      );
    }
    segmentCommits.push({ version: v, meta });
  }
  const segment: LogSegment = { version, commits: segmentCommits };
  if (checkpoint !== undefined) segment.checkpoint = checkpoint;
  return segment;
}

/** NotFoundError for a folder without a usable `_delta_log`. */
export function notATable(store: ObjectStore): NotFoundError {
  return new NotFoundError(
    `${store.location} is not a Delta table: it has no _delta_log folder with commits; check the path or create the table first.`,
    { details: { location: store.location } },
  );
}
