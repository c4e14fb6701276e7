/**
 * The datasets a Flight service serves, behind one interface: the Delta catalog (one Delta table per asset key
 * under the data root) for real use, the in-memory one for transport benchmarks.
 */
import { InvalidArgumentError } from "@mlfusion/core";
import { DataType, type RecordBatch, type Schema, Type } from "apache-arrow";
import type { AssetKey } from "./asset-key.js";

/** How a write treats existing data (Delta's save modes). */
export type WriteMode = "append" | "overwrite" | "error" | "ignore";

/** Descriptive metadata of a dataset. */
export interface DatasetMetadata {
  /** Stable identifier (the Delta table id). */
  id: string;
  name: string;
  description: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
}

/** What GetFlightInfo needs to know about a dataset. */
export interface DatasetInfo {
  key: AssetKey;
  version: number;
  schema: Schema;
  partitionColumns: string[];
  totalRecords: number;
  totalBytes: number;
  metadata: DatasetMetadata;
}

/** A read request: column selection, time travel and a row filter. */
export interface ReadOptions {
  columns?: readonly string[];
  version?: number;
  /** RFC 3339 timestamp: read the version current at that time. */
  timestamp?: string;
  filter?: string;
  signal?: AbortSignal;
}

/** A write request. */
export interface WriteOptions {
  mode: WriteMode;
  partitionBy?: readonly string[];
  /** replaceWhere: with mode overwrite, replace only the rows matching this predicate. */
  predicate?: string;
  signal?: AbortSignal;
}

/** The outcome of a write. */
export interface WriteResult {
  version: number;
  numFiles: number;
  numRows: number;
  bytes: number;
}

/** One commit of a dataset's history. */
export interface HistoryEntry {
  version: number;
  /** Epoch milliseconds. */
  timestamp: number;
  operation: string;
  rowsAdded?: number;
  parameters?: Record<string, unknown>;
}

/** Changes to a dataset's metadata; absent fields stay as they are. */
export interface MetadataUpdate {
  name?: string;
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
}

/** A vacuum request: retention (default 168 h), dry run, and `force` to allow a retention below the table's. */
export interface VacuumRequest {
  retentionHours?: number;
  dryRun?: boolean;
  force?: boolean;
}

/** The datasets of a workspace. Every method throws NotFoundError for a missing dataset. */
export interface DatasetCatalog {
  /** Keys of all datasets whose key starts with `prefix` (segment-wise), sorted. */
  list(prefix: AssetKey, signal?: AbortSignal): Promise<AssetKey[]>;
  info(key: AssetKey, options?: { version?: number; timestamp?: string }): Promise<DatasetInfo>;
  read(key: AssetKey, options: ReadOptions): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch> }>;
  /** Writes batches; `batches` may throw (client gone), in which case nothing is committed. */
  write(
    key: AssetKey,
    schema: Schema,
    batches: AsyncIterable<RecordBatch>,
    options: WriteOptions,
  ): Promise<WriteResult>;
  drop(key: AssetKey): Promise<void>;
  setMetadata(key: AssetKey, update: MetadataUpdate): Promise<DatasetMetadata>;
  history(key: AssetKey, limit?: number): Promise<HistoryEntry[]>;
  /** Makes an existing Delta table at `path` available as the dataset `key`. */
  register(key: AssetKey, path: string): Promise<DatasetInfo>;
  vacuum(key: AssetKey, options: VacuumRequest): Promise<{ files: string[] }>;
}

/**
 * Checks that an append's schema matches the dataset's: same column names, and the same type for each.
 * Throws InvalidArgumentError naming the columns that differ.
 */
export function checkAppendSchema(existing: Schema, incoming: Schema): void {
  const problems: string[] = [];
  const incomingByName = new Map(incoming.fields.map((field) => [field.name, field]));
  for (const field of existing.fields) {
    const other = incomingByName.get(field.name);
    if (other === undefined) problems.push(`missing column ${field.name}`);
    else if (!sameType(field.type, other.type)) {
      problems.push(`column ${field.name} is ${String(other.type)} but the dataset has ${String(field.type)}`);
    }
  }
  const existingNames = new Set(existing.fields.map((field) => field.name));
  for (const field of incoming.fields) {
    if (!existingNames.has(field.name)) problems.push(`unexpected column ${field.name}`);
  }
  if (problems.length > 0) {
    throw new InvalidArgumentError(
      `The data does not match the dataset's schema: ${problems.join("; ")}. Write with mode overwrite to replace it.`,
      { details: { problems } },
    );
  }
}

function sameType(a: DataType, b: DataType): boolean {
  return typeFamily(a) === typeFamily(b);
}

/**
 * The type as a Delta table sees it (PROTOCOL.md, "Schema Serialization Format"): string/binary/list encodings
 * and timestamp units collapse, dictionary encoding is transparent.
 */
function typeFamily(type: DataType): string {
  if (DataType.isDictionary(type)) return typeFamily(type.dictionary);
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type) || type.typeId === Type.Utf8View) return "string";
  if (DataType.isBinary(type) || DataType.isLargeBinary(type) || type.typeId === Type.BinaryView) return "binary";
  if (DataType.isTimestamp(type)) return type.timezone ? "timestamp" : "timestamp_ntz";
  if (DataType.isList(type) || type.typeId === Type.LargeList || DataType.isFixedSizeList(type)) {
    const child = type.children[0];
    return `array<${child === undefined ? "?" : typeFamily(child.type)}>`;
  }
  if (DataType.isStruct(type))
    return `struct<${type.children.map((f) => `${f.name}:${typeFamily(f.type)}`).join(",")}>`;
  return String(type);
}
