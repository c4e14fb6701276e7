import { NotFoundError } from "@mlfusion/core";
import { parseCommitFile } from "../log/actions.js";
import { listLogFiles, notATable } from "../log/log-segment.js";
import type { ObjectMeta, ObjectStore } from "../storage/object-store.js";

// Time travel by timestamp (PROTOCOL.md "In-Commit Timestamps"): the version of a time is the latest commit whose
// timestamp is at or before it. A commit's timestamp is its commitInfo.inCommitTimestamp when present, otherwise
// the commit file's modification time, made monotonic (a commit is never older than its predecessor), as
// Spark and delta-rs do.

/**
 * The latest version committed at or before `timestampMs`. NotFoundError when the time is before the first
 * available commit.
 */
export async function versionAtTimestamp(
  store: ObjectStore,
  timestampMs: number,
  signal?: AbortSignal,
): Promise<number> {
  const files = await listLogFiles(store, signal === undefined ? {} : { signal });
  const commits = files
    .filter((f): f is { kind: "commit"; version: number; meta: ObjectMeta } => f.kind === "commit")
    .sort((a, b) => a.version - b.version);
  if (commits.length === 0) throw notATable(store);
  const times: number[] = [];
  let previous = Number.NEGATIVE_INFINITY;
  for (const commit of commits) {
    const t = Math.max(Math.floor(commit.meta.lastModified), previous + 1);
    times.push(t);
    previous = t;
  }
  // In-commit timestamps live in the commits themselves; read them newest first only as far as needed.
  let found: number | undefined;
  for (let i = commits.length - 1; i >= 0; i--) {
    const commit = commits[i];
    if (commit === undefined) continue;
    let t = times[i] ?? 0;
    const ict = await readInCommitTimestamp(store, commit.meta.path, signal);
    if (ict !== undefined) t = ict;
    if (t <= timestampMs) {
      found = commit.version;
      break;
    }
  }
  if (found === undefined) {
    throw new NotFoundError(
      `No version of the Delta table at ${store.location} exists at ${new Date(timestampMs).toISOString()}; the earliest available commit is version ${commits[0]?.version}, committed at ${new Date(times[0] ?? 0).toISOString()}.`,
      { details: { timestamp: timestampMs } },
    );
  }
  return found;
}

async function readInCommitTimestamp(
  store: ObjectStore,
  path: string,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  const actions = parseCommitFile(await store.get(path, signal), path);
  for (const action of actions) {
    if ("commitInfo" in action) {
      const ict = action.commitInfo.inCommitTimestamp;
      return typeof ict === "number" ? ict : undefined;
    }
  }
  return undefined;
}
