import { CorruptTableError } from "@mlfusion/core";

// Delta log actions, as named in delta-io/delta PROTOCOL.md ("Actions"). Field names are the protocol's.

/** PROTOCOL.md "Protocol Evolution": the versions and (table-features) feature lists a client must support. */
export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}

/** PROTOCOL.md "Change Metadata". */
export interface MetadataAction {
  id: string;
  name?: string | null;
  description?: string | null;
  format: { provider: string; options: Record<string, string> };
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime?: number | null;
}

/** PROTOCOL.md "Deletion Vector Descriptor Schema". */
export interface DeletionVectorDescriptor {
  /** "u" (relative path from a UUID), "i" (inline, Z85), "p" (absolute path). */
  storageType: string;
  pathOrInlineDv: string;
  offset?: number;
  sizeInBytes: number;
  cardinality: number;
}

/** PROTOCOL.md "Add File and Remove File". `path` is a URI-encoded path relative to the table root, or absolute. */
export interface AddAction {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  /** JSON-encoded statistics (numRecords, minValues, maxValues, nullCount, tightBounds). */
  stats?: string | null;
  /** Typed statistics, present when read from a checkpoint's `stats_parsed` column. */
  statsParsed?: Record<string, unknown> | null;
  tags?: Record<string, string> | null;
  deletionVector?: DeletionVectorDescriptor | null;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
  clusteringProvider?: string | null;
}

/** PROTOCOL.md "Add File and Remove File" (a tombstone). */
export interface RemoveAction {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean | null;
  partitionValues?: Record<string, string | null> | null;
  size?: number | null;
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: DeletionVectorDescriptor | null;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
}

/** PROTOCOL.md "Add CDC File". */
export interface AddCdcAction {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  dataChange: boolean;
  tags?: Record<string, string> | null;
}

/** PROTOCOL.md "Transaction Identifiers": the last version an application committed, for idempotent writes. */
export interface TxnAction {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}

/** PROTOCOL.md "Domain Metadata". */
export interface DomainMetadataAction {
  domain: string;
  configuration: string;
  removed: boolean;
}

/** PROTOCOL.md "Checkpoint Metadata" (V2 checkpoints). */
export interface CheckpointMetadataAction {
  version: number;
  tags?: Record<string, string> | null;
}

/** PROTOCOL.md "Sidecar File Information" (V2 checkpoints). `path` is relative to `_delta_log/_sidecars/`. */
export interface SidecarAction {
  path: string;
  sizeInBytes: number;
  modificationTime: number;
  tags?: Record<string, string> | null;
}

/** PROTOCOL.md "Commit Provenance Information": free-form, with conventional keys. */
export type CommitInfoAction = Record<string, unknown>;

/** One line of a commit file or one row of a checkpoint: exactly one action. */
export type Action =
  | { add: AddAction }
  | { remove: RemoveAction }
  | { metaData: MetadataAction }
  | { protocol: ProtocolAction }
  | { cdc: AddCdcAction }
  | { txn: TxnAction }
  | { commitInfo: CommitInfoAction }
  | { domainMetadata: DomainMetadataAction }
  | { checkpointMetadata: CheckpointMetadataAction }
  | { sidecar: SidecarAction };

const EMPTY_SCHEMA = '{"type":"struct","fields":[]}';
const textDecoder = new TextDecoder("utf-8", { fatal: true });
const textEncoder = new TextEncoder();

/**
 * Parses a JSON commit file (newline-delimited actions). Unknown action kinds are ignored as the protocol
 * requires; malformed JSON or malformed known actions raise CorruptTableError naming the file.
 *
 * @example
 * const actions = parseCommitFile(bytes, "_delta_log/00000000000000000003.json");
 */
export function parseCommitFile(bytes: Uint8Array, fileName: string): Action[] {
  let text: string;
  try {
    text = textDecoder.decode(bytes);
  } catch (error) {
    throw new CorruptTableError(`Commit file ${fileName} is not valid UTF-8; the table log is damaged.`, {
      cause: error,
    });
  }
  const actions: Action[] = [];
  let lineNumber = 0;
  for (const line of text.split("\n")) {
    lineNumber += 1;
    const trimmed = line.trim();
    if (trimmed === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new CorruptTableError(
        `Commit file ${fileName} has invalid JSON on line ${lineNumber}; the table log is damaged.`,
        { cause: error, details: { file: fileName, line: lineNumber } },
      );
    }
    const action = parseAction(value, `${fileName}:${lineNumber}`);
    if (action !== undefined) actions.push(action);
  }
  return actions;
}

/**
 * Validates one decoded action object (a JSON line, or a checkpoint row converted to plain values).
 * Returns undefined for unknown action kinds, which readers must ignore.
 */
export function parseAction(value: unknown, where: string): Action | undefined {
  if (!isRecord(value)) throw corrupt(where, "an action must be a JSON object");
  if (value.add != null) return { add: parseAdd(value.add, where) };
  if (value.remove != null) return { remove: parseRemove(value.remove, where) };
  if (value.metaData != null) return { metaData: parseMetadata(value.metaData, where) };
  if (value.protocol != null) return { protocol: parseProtocol(value.protocol, where) };
  if (value.txn != null) {
    const t = record(value.txn, where, "txn");
    return {
      txn: {
        appId: str(t.appId, where, "txn.appId"),
        version: num(t.version, where, "txn.version"),
        lastUpdated: optNum(t.lastUpdated),
      },
    };
  }
  if (value.commitInfo != null) return { commitInfo: record(value.commitInfo, where, "commitInfo") };
  if (value.cdc != null) {
    const c = record(value.cdc, where, "cdc");
    return {
      cdc: {
        path: str(c.path, where, "cdc.path"),
        partitionValues: partitionValues(c.partitionValues, where),
        size: num(c.size, where, "cdc.size"),
        dataChange: c.dataChange === true,
        tags: stringMap(c.tags),
      },
    };
  }
  if (value.domainMetadata != null) {
    const d = record(value.domainMetadata, where, "domainMetadata");
    return {
      domainMetadata: {
        domain: str(d.domain, where, "domainMetadata.domain"),
        configuration: typeof d.configuration === "string" ? d.configuration : "",
        removed: d.removed === true,
      },
    };
  }
  if (value.checkpointMetadata != null) {
    const c = record(value.checkpointMetadata, where, "checkpointMetadata");
    return {
      checkpointMetadata: { version: num(c.version, where, "checkpointMetadata.version"), tags: stringMap(c.tags) },
    };
  }
  if (value.sidecar != null) {
    const s = record(value.sidecar, where, "sidecar");
    return {
      sidecar: {
        path: str(s.path, where, "sidecar.path"),
        sizeInBytes: num(s.sizeInBytes, where, "sidecar.sizeInBytes"),
        modificationTime: num(s.modificationTime, where, "sidecar.modificationTime"),
        tags: stringMap(s.tags),
      },
    };
  }
  return undefined;
}

/** Serializes actions as a commit file: one JSON object per line, newline-terminated. */
export function serializeActions(actions: readonly Action[]): Uint8Array {
  return textEncoder.encode(actions.map((a) => `${JSON.stringify(a)}\n`).join(""));
}

function parseAdd(v: unknown, where: string): AddAction {
  const a = record(v, where, "add");
  const add: AddAction = {
    path: str(a.path, where, "add.path"),
    partitionValues: partitionValues(a.partitionValues, where),
    size: num(a.size, where, "add.size"),
    modificationTime: num(a.modificationTime ?? 0, where, "add.modificationTime"),
    dataChange: a.dataChange !== false,
  };
  if (typeof a.stats === "string") add.stats = a.stats;
  if (isRecord(a.stats_parsed)) add.statsParsed = a.stats_parsed;
  const tags = stringMap(a.tags);
  if (tags !== null) add.tags = tags;
  if (a.deletionVector != null) add.deletionVector = parseDeletionVector(a.deletionVector, where);
  if (typeof a.baseRowId === "number") add.baseRowId = a.baseRowId;
  if (typeof a.defaultRowCommitVersion === "number") add.defaultRowCommitVersion = a.defaultRowCommitVersion;
  if (typeof a.clusteringProvider === "string") add.clusteringProvider = a.clusteringProvider;
  return add;
}

function parseRemove(v: unknown, where: string): RemoveAction {
  const r = record(v, where, "remove");
  const remove: RemoveAction = { path: str(r.path, where, "remove.path"), dataChange: r.dataChange !== false };
  if (typeof r.deletionTimestamp === "number") remove.deletionTimestamp = r.deletionTimestamp;
  if (typeof r.extendedFileMetadata === "boolean") remove.extendedFileMetadata = r.extendedFileMetadata;
  if (isRecord(r.partitionValues)) remove.partitionValues = partitionValues(r.partitionValues, where);
  if (typeof r.size === "number") remove.size = r.size;
  if (typeof r.stats === "string") remove.stats = r.stats;
  const tags = stringMap(r.tags);
  if (tags !== null) remove.tags = tags;
  if (r.deletionVector != null) remove.deletionVector = parseDeletionVector(r.deletionVector, where);
  if (typeof r.baseRowId === "number") remove.baseRowId = r.baseRowId;
  if (typeof r.defaultRowCommitVersion === "number") remove.defaultRowCommitVersion = r.defaultRowCommitVersion;
  return remove;
}

function parseMetadata(v: unknown, where: string): MetadataAction {
  const m = record(v, where, "metaData");
  const format = isRecord(m.format) ? m.format : {};
  const partitionColumns = Array.isArray(m.partitionColumns) ? m.partitionColumns : [];
  const metadata: MetadataAction = {
    id: typeof m.id === "string" ? m.id : "",
    format: {
      provider: typeof format.provider === "string" ? format.provider : "parquet",
      options: stringMap(format.options) ?? {},
    },
    // Some writers (early test fixtures) omit the schema: such a table has no columns.
    schemaString: m.schemaString == null ? EMPTY_SCHEMA : str(m.schemaString, where, "metaData.schemaString"),
    partitionColumns: partitionColumns.map((c, i) => str(c, where, `metaData.partitionColumns[${i}]`)),
    configuration: stringMap(m.configuration) ?? {},
  };
  if (typeof m.name === "string") metadata.name = m.name;
  if (typeof m.description === "string") metadata.description = m.description;
  if (typeof m.createdTime === "number") metadata.createdTime = m.createdTime;
  return metadata;
}

function parseProtocol(v: unknown, where: string): ProtocolAction {
  const p = record(v, where, "protocol");
  const protocol: ProtocolAction = {
    minReaderVersion: num(p.minReaderVersion, where, "protocol.minReaderVersion"),
    minWriterVersion: num(p.minWriterVersion, where, "protocol.minWriterVersion"),
  };
  if (Array.isArray(p.readerFeatures)) protocol.readerFeatures = p.readerFeatures.filter((f) => typeof f === "string");
  if (Array.isArray(p.writerFeatures)) protocol.writerFeatures = p.writerFeatures.filter((f) => typeof f === "string");
  return protocol;
}

function parseDeletionVector(v: unknown, where: string): DeletionVectorDescriptor {
  const d = record(v, where, "deletionVector");
  const dv: DeletionVectorDescriptor = {
    storageType: str(d.storageType, where, "deletionVector.storageType"),
    pathOrInlineDv: str(d.pathOrInlineDv, where, "deletionVector.pathOrInlineDv"),
    sizeInBytes: num(d.sizeInBytes, where, "deletionVector.sizeInBytes"),
    cardinality: num(d.cardinality, where, "deletionVector.cardinality"),
  };
  if (typeof d.offset === "number") dv.offset = d.offset;
  return dv;
}

function partitionValues(v: unknown, where: string): Record<string, string | null> {
  if (v == null) return {};
  const r = record(v, where, "partitionValues");
  const out: Record<string, string | null> = {};
  for (const [k, value] of Object.entries(r)) {
    out[k] = value == null ? null : String(value);
  }
  return out;
}

function stringMap(v: unknown): Record<string, string> | null {
  if (!isRecord(v)) return null;
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) {
    if (value != null) out[k] = String(value);
  }
  return out;
}

/** True for plain objects (not arrays, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function record(v: unknown, where: string, field: string): Record<string, unknown> {
  if (!isRecord(v)) throw corrupt(where, `${field} must be an object`);
  return v;
}

function str(v: unknown, where: string, field: string): string {
  if (typeof v !== "string") throw corrupt(where, `${field} must be a string`);
  return v;
}

function num(v: unknown, where: string, field: string): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  throw corrupt(where, `${field} must be a number`);
}

function optNum(v: unknown): number | null {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return null;
}

function corrupt(where: string, problem: string): CorruptTableError {
  return new CorruptTableError(`Invalid Delta log action at ${where}: ${problem}; the table log is damaged.`, {
    details: { where },
  });
}
