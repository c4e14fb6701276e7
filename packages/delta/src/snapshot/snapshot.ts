import { CorruptTableError, InvalidArgumentError } from "@mlfusion/core";
import type {
  Action,
  AddAction,
  CommitInfoAction,
  DomainMetadataAction,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
  TxnAction,
} from "../log/actions.js";
import { parseCommitFile } from "../log/actions.js";
import { readCheckpointActions } from "../log/checkpoint-reader.js";
import { buildLogSegment, type LogSegment } from "../log/log-segment.js";
import { assertReadable } from "../protocol/reader-features.js";
import type { StructType } from "../schema/delta-schema.js";
import { parseSchemaString } from "../schema/delta-schema.js";
import type { ObjectStore } from "../storage/object-store.js";
import { versionAtTimestamp } from "./timestamp-travel.js";

/**
 * The state of a Delta table at one version (PROTOCOL.md "Action Reconciliation"): protocol, metadata, the active
 * files and the tombstones, application transactions and domain metadata.
 */
export interface Snapshot {
  readonly version: number;
  readonly protocol: ProtocolAction;
  readonly metadata: MetadataAction;
  /** The logical table schema, parsed from `metadata.schemaString`. */
  readonly schema: StructType;
  readonly partitionColumns: readonly string[];
  /** Active files after reconciliation, in log order (checkpoint first, then commits oldest first). */
  readonly files: readonly AddAction[];
  /** Remove actions still present in the log segment (not superseded by a later add of the same file). */
  readonly tombstones: readonly RemoveAction[];
  /** The latest transaction version per application id. */
  readonly txns: ReadonlyMap<string, TxnAction>;
  /** Active (not removed) domain metadata per domain. */
  readonly domainMetadata: ReadonlyMap<string, DomainMetadataAction>;
  /** Commit time of this version, epoch ms: inCommitTimestamp when present, else the commit file's mtime. */
  readonly timestamp: number;
  /** commitInfo of the commit at this version, when that commit is in the segment and has one. */
  readonly commitInfo?: CommitInfoAction;
  /** The checkpoint and commits the snapshot was built from. */
  readonly logSegment: LogSegment;
  /** Paths (relative to the table root) of every log file read. */
  readonly logFiles: readonly string[];
}

/** Options for {@link loadSnapshot}. */
export interface LoadSnapshotOptions {
  /** Time travel to this version. */
  version?: number;
  /** Time travel to the latest version committed at or before this time (epoch ms, Date or ISO-8601 string). */
  timestamp?: number | Date | string;
  signal?: AbortSignal;
  /** Skip the reader-feature gate (for writers and tools that only inspect the log). Default false. */
  skipReaderFeatureCheck?: boolean;
}

/**
 * Loads the snapshot of a table: the latest version, or a version / timestamp for time travel.
 *
 * Errors: NotFoundError when the folder is not a Delta table or the version does not exist (or was cleaned up);
 * CorruptTableError for a damaged log (missing protocol or metadata, version gaps, invalid JSON);
 * UnsupportedFeatureError naming a reader feature this library does not implement.
 *
 * @example
 * const snapshot = await loadSnapshot(createLocalObjectStore("/data/t"), { version: 3 });
 * console.log(snapshot.version, snapshot.files.length);
 */
export async function loadSnapshot(store: ObjectStore, options: LoadSnapshotOptions = {}): Promise<Snapshot> {
  const { signal } = options;
  if (options.version !== undefined && options.timestamp !== undefined) {
    throw new InvalidArgumentError("Give either a version or a timestamp to time travel, not both.");
  }
  let version = options.version;
  if (options.timestamp !== undefined) {
    version = await versionAtTimestamp(store, toEpochMs(options.timestamp), signal);
  }
  const segment = await buildLogSegment(
    store,
    signal === undefined
      ? version === undefined
        ? {}
        : { version }
      : version === undefined
        ? { signal }
        : { version, signal },
  );
  const commitActions = await readCommits(store, segment, signal);
  const checkpointActions =
    segment.checkpoint === undefined ? [] : await readCheckpointActions(store, segment.checkpoint, signal);

  const replay = new LogReplay(store.location);
  for (let i = commitActions.length - 1; i >= 0; i--) {
    const actions = commitActions[i];
    if (actions !== undefined) replay.processCommit(actions);
  }
  replay.processCommit(checkpointActions);

  const where = `the Delta table at ${store.location} (version ${segment.version})`;
  if (replay.protocol === undefined) {
    throw new CorruptTableError(`${where} has no protocol action in its log; the log is damaged.`);
  }
  if (replay.metadata === undefined) {
    throw new CorruptTableError(`${where} has no metaData action in its log; the log is damaged.`);
  }
  if (options.skipReaderFeatureCheck !== true) assertReadable(replay.protocol, where);
  const schema = parseSchemaString(replay.metadata.schemaString);

  const latestCommit = segment.commits[segment.commits.length - 1];
  const latestActions = commitActions[commitActions.length - 1];
  const commitInfo = latestCommit?.version === segment.version ? findCommitInfo(latestActions) : undefined;
  const ict = commitInfo?.inCommitTimestamp;
  // Epoch milliseconds as integers: file systems report fractional mtimes, commit timestamps are whole ms.
  const timestamp = Math.floor(
    typeof ict === "number"
      ? ict
      : latestCommit?.version === segment.version
        ? latestCommit.meta.lastModified
        : (segment.checkpoint?.files[0]?.lastModified ?? 0),
  );

  const logFiles = [
    ...(segment.checkpoint?.files.map((f) => f.path) ?? []),
    ...segment.commits.map((c) => c.meta.path),
  ];
  const snapshot: Snapshot = {
    version: segment.version,
    protocol: replay.protocol,
    metadata: replay.metadata,
    schema,
    partitionColumns: replay.metadata.partitionColumns,
    files: replay.activeFiles(),
    tombstones: replay.tombstones.reverse(),
    txns: replay.txns,
    domainMetadata: replay.domainMetadata,
    timestamp,
    logSegment: segment,
    logFiles,
    ...(commitInfo === undefined ? {} : { commitInfo }),
  };
  return snapshot;
}

/**
 * The reconciliation key of a file action: its canonical path plus the deletion vector's unique id
 * (PROTOCOL.md "Action Reconciliation"). Paths are compared decoded and with `file:` URIs and absolute paths
 * inside the table reduced to one form, as Spark does, so `file:/t/a%20b.parquet` and `/t/a b.parquet` (and
 * `a b.parquet` for a table at /t) are the same file.
 */
export function fileActionKey(action: AddAction | RemoveAction, tableRoot?: string): string {
  const path = canonicalFilePath(action.path, tableRoot);
  const dv = action.deletionVector;
  if (dv == null) return path;
  return `${path}\u0000${dv.storageType}${dv.pathOrInlineDv}${dv.offset === undefined ? "" : `@${dv.offset}`}`;
}

/**
 * The canonical form of a file action's path: URI-decoded, `file:` scheme dropped, and made relative when it is
 * an absolute path inside the table (`tableRoot`, the store's location). Paths outside the table stay absolute.
 */
export function canonicalFilePath(path: string, tableRoot: string | undefined): string {
  let p = path;
  if (/^file:/i.test(p)) p = p.replace(/^file:(\/\/(?=\/))?/i, "");
  if (p.includes("%")) {
    try {
      p = decodeURIComponent(p);
    } catch {
      // Not a valid escape sequence: compare the raw text (reading the file reports the malformed URI).
    }
  }
  if (tableRoot !== undefined && tableRoot !== "") {
    const root = tableRoot.endsWith("/") ? tableRoot : `${tableRoot}/`;
    if (p.startsWith(root)) p = p.slice(root.length);
  }
  return p;
}

/** Replays actions newest first: the first action seen for a key wins. */
class LogReplay {
  constructor(private readonly tableRoot: string) {}

  protocol: ProtocolAction | undefined;
  metadata: MetadataAction | undefined;
  readonly txns = new Map<string, TxnAction>();
  readonly domainMetadata = new Map<string, DomainMetadataAction>();
  private readonly seenDomains = new Set<string>();
  private readonly seen = new Set<string>();
  /** Collected newest first; reversed for output. */
  private readonly adds: AddAction[] = [];
  readonly tombstones: RemoveAction[] = [];

  processCommit(actions: readonly Action[]): void {
    for (let i = actions.length - 1; i >= 0; i--) {
      const action = actions[i];
      if (action === undefined) continue;
      if ("add" in action) {
        const key = fileActionKey(action.add, this.tableRoot);
        if (!this.seen.has(key)) {
          this.seen.add(key);
          this.adds.push(action.add);
        }
      } else if ("remove" in action) {
        const key = fileActionKey(action.remove, this.tableRoot);
        if (!this.seen.has(key)) {
          this.seen.add(key);
          this.tombstones.push(action.remove);
        }
      } else if ("protocol" in action) {
        this.protocol ??= action.protocol;
      } else if ("metaData" in action) {
        this.metadata ??= action.metaData;
      } else if ("txn" in action) {
        if (!this.txns.has(action.txn.appId)) this.txns.set(action.txn.appId, action.txn);
      } else if ("domainMetadata" in action) {
        const d = action.domainMetadata;
        if (!this.seenDomains.has(d.domain)) {
          this.seenDomains.add(d.domain);
          if (!d.removed) this.domainMetadata.set(d.domain, d);
        }
      }
    }
  }

  activeFiles(): AddAction[] {
    return this.adds.reverse();
  }
}

async function readCommits(
  store: ObjectStore,
  segment: LogSegment,
  signal: AbortSignal | undefined,
): Promise<Action[][]> {
  const out: Action[][] = new Array(segment.commits.length);
  const concurrency = 16;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < segment.commits.length) {
      const index = next++;
      const commit = segment.commits[index];
      if (commit === undefined) continue;
      signal?.throwIfAborted();
      out[index] = parseCommitFile(await store.get(commit.meta.path, signal), commit.meta.path);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, segment.commits.length) }, worker));
  return out;
}

function findCommitInfo(actions: readonly Action[] | undefined): CommitInfoAction | undefined {
  for (const action of actions ?? []) if ("commitInfo" in action) return action.commitInfo;
  return undefined;
}

function toEpochMs(value: number | Date | string): number {
  if (typeof value === "number") return value;
  if (value instanceof Date) return value.getTime();
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(
      `Timestamp ${JSON.stringify(value)} is not a valid ISO-8601 time; use e.g. 2024-01-01T00:00:00Z.`,
    );
  }
  return ms;
}
