import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { NotFoundError } from "@mlfusion/core";
import {
  type AddAction,
  createLocalObjectStore,
  type DataType,
  decodeActionPath,
  loadDeletionVector,
  loadSnapshot,
  type StructField,
  toArrowSchema,
} from "@mlfusion/delta";
import {
  type AssetKey,
  type DataFile,
  type DatasetCatalog,
  type DatasetSnapshot,
  type FileStats,
  formatAssetKey,
  type PhysicalType,
  type TimeTravel,
} from "./dataset-catalog.js";
import { ExternalTableRegistry } from "./external-table-registry.js";

/** Options for {@link createDeltaCatalog}. */
export interface DeltaCatalogOptions {
  /** Folder under which each dataset is a Delta table at `<dataRoot>/<seg1>/.../<name>`. */
  dataRoot: string;
}

/**
 * The datasets of a workspace: every Delta table under `dataRoot` (a folder holding `_delta_log/`), keyed by its
 * path segments, and the tables registered from other folders (`<dataRoot>/.registry.json`, see
 * {@link ExternalTableRegistry}). Snapshots come from @mlfusion/delta's `loadSnapshot`, so time travel, checkpoints and reader
 * features follow the Delta engine.
 *
 * @example
 * const catalog = createDeltaCatalog({ dataRoot: "/work/.mlfusion/data" });
 * const snapshot = await catalog.openDataset(["demo", "iris"], { version: 1 });
 */
export function createDeltaCatalog(options: DeltaCatalogOptions): DatasetCatalog {
  const dataRoot = resolve(options.dataRoot);
  const registry = new ExternalTableRegistry(dataRoot);
  /** A registered table's folder, else the key's folder under the data root. */
  const tableRootOf = async (key: AssetKey) =>
    (await registry.read())[formatAssetKey(key)] ?? join(dataRoot, ...safeKey(key));
  // A version of a Delta table never changes, so its snapshot is cached; "latest" costs one listing of the log,
  // and every open one stat of the version's commit file. A table dropped and recreated reaches the same version
  // numbers with other files, so the key includes that commit file's identity, never just (key, version).
  const cache = new Map<string, DatasetSnapshot>();
  const cached = async (key: AssetKey, at: TimeTravel | undefined, signal: AbortSignal | undefined) => {
    const tableRoot = await tableRootOf(key);
    if (at?.timestamp !== undefined) return openDeltaDataset(tableRoot, key, at, signal);
    const version = at?.version ?? (await latestVersion(tableRoot));
    const identity = version === undefined ? undefined : await commitIdentity(tableRoot, version);
    const id = identity === undefined ? undefined : JSON.stringify([key, tableRoot, version, identity]);
    const hit = id === undefined ? undefined : cache.get(id);
    if (id !== undefined && hit !== undefined) {
      cache.delete(id);
      cache.set(id, hit);
      return hit;
    }
    const snapshot = await openDeltaDataset(tableRoot, key, version === undefined ? at : { version }, signal);
    // Without a commit file to identify the version (a checkpoint-only version), the snapshot is not cached.
    if (id === undefined || snapshot.version !== version) return snapshot;
    cache.set(id, snapshot);
    while (cache.size > MAX_CACHED_SNAPSHOTS) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
    return snapshot;
  };
  return {
    dataDirectories: async () => [dataRoot, ...new Set(Object.values(await registry.read()))].sort(),
    listDatasets: async (signal) => {
      const keys: AssetKey[] = [];
      await walk(dataRoot, [], keys, signal);
      for (const name of Object.keys(await registry.read())) keys.push(name.split("/"));
      const unique = new Map(keys.map((key) => [formatAssetKey(key), key]));
      return [...unique.values()].sort((a, b) => formatAssetKey(a).localeCompare(formatAssetKey(b)));
    },
    openDataset: cached,
  };
}

const MAX_CACHED_SNAPSHOTS = 64;

/**
 * What identifies version `version` of the table at `tableRoot` across a drop and recreate: its commit file's
 * inode, size and modification time (nanoseconds), or undefined when that file does not exist.
 */
async function commitIdentity(tableRoot: string, version: number): Promise<string | undefined> {
  const commit = join(tableRoot, "_delta_log", `${String(version).padStart(20, "0")}.json`);
  try {
    const info = await stat(commit, { bigint: true });
    return `${info.ino}:${info.size}:${info.mtimeNs}`;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** The newest version in a table's log (commit or checkpoint file names), or undefined when unreadable. */
async function latestVersion(tableRoot: string): Promise<number | undefined> {
  let names: string[];
  try {
    names = await readdir(join(tableRoot, "_delta_log"));
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  let latest: number | undefined;
  for (const name of names) {
    const m = /^(\d{20})\.(json|checkpoint\.)/.exec(name);
    if (m?.[1] !== undefined) latest = Math.max(latest ?? 0, Number(m[1]));
  }
  return latest;
}

function safeKey(key: AssetKey): AssetKey {
  if (key.length === 0 || key.some((s) => s === "" || s === "." || s === ".." || s.includes("/") || s.includes("\\"))) {
    throw new NotFoundError(
      `There is no dataset ${formatAssetKey(key)}; dataset keys are folder names under the data root.`,
    );
  }
  return key;
}

async function walk(dir: string, prefix: string[], out: AssetKey[], signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  if (entries.some((e) => e.isDirectory() && e.name === "_delta_log")) {
    if (prefix.length > 0) out.push(prefix);
    return;
  }
  for (const entry of entries) {
    if (entry.isDirectory() && !entry.name.startsWith(".") && !entry.name.startsWith("_")) {
      await walk(join(dir, entry.name), [...prefix, entry.name], out, signal);
    }
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && "code" in error && (error.code === "ENOENT" || error.code === "ENOTDIR");
}

async function openDeltaDataset(
  tableRoot: string,
  key: AssetKey,
  at: TimeTravel | undefined,
  signal: AbortSignal | undefined,
): Promise<DatasetSnapshot> {
  const options: { version?: number; timestamp?: number; signal?: AbortSignal } = {};
  if (at?.version !== undefined) options.version = at.version;
  if (at?.timestamp !== undefined) options.timestamp = at.timestamp;
  if (signal !== undefined) options.signal = signal;
  let snapshot: Awaited<ReturnType<typeof loadSnapshot>>;
  try {
    snapshot = await loadSnapshot(createLocalObjectStore(tableRoot), options);
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new NotFoundError(`${error.message} (dataset ${formatAssetKey(key)})`, { cause: error, details: { key } });
    }
    throw error;
  }
  const mode = snapshot.metadata.configuration["delta.columnMapping.mode"] ?? "none";
  const mapping = mode === "none" ? undefined : columnMapping(snapshot.schema.fields);
  const physicalNames = mapping?.physicalNames;
  const result: DatasetSnapshot = {
    key,
    version: snapshot.version,
    schema: toArrowSchema(snapshot.schema),
    partitionColumns: snapshot.partitionColumns,
    files: snapshot.files.map((add) => dataFileOf(tableRoot, add, physicalNames)),
  };
  return mapping === undefined ? result : { ...result, ...mapping };
}

/** Column mapping (PROTOCOL.md "Column Mapping"): the physical name of every field, at every depth. */
function columnMapping(fields: readonly StructField[]): {
  physicalNames: ReadonlyMap<string, string>;
  nestedPhysicalTypes: ReadonlyMap<string, PhysicalType>;
} {
  const physicalNames = new Map<string, string>();
  const nestedPhysicalTypes = new Map<string, PhysicalType>();
  for (const field of fields) {
    physicalNames.set(field.name, physicalNameOf(field));
    const nested = physicalTypeOf(field.type);
    if (nested.kind !== "primitive") nestedPhysicalTypes.set(field.name, nested);
  }
  return { physicalNames, nestedPhysicalTypes };
}

function physicalNameOf(field: StructField): string {
  const physical = field.metadata["delta.columnMapping.physicalName"];
  return typeof physical === "string" && physical !== "" ? physical : field.name;
}

function physicalTypeOf(type: DataType): PhysicalType {
  if (typeof type === "string") return { kind: "primitive" };
  switch (type.type) {
    case "struct":
      return {
        kind: "struct",
        fields: type.fields.map((f) => ({
          logical: f.name,
          physical: physicalNameOf(f),
          type: physicalTypeOf(f.type),
        })),
      };
    case "array":
      return { kind: "list", element: physicalTypeOf(type.elementType) };
    case "map":
      return { kind: "map", key: physicalTypeOf(type.keyType), value: physicalTypeOf(type.valueType) };
  }
}

function dataFileOf(
  tableRoot: string,
  add: AddAction,
  physicalNames: ReadonlyMap<string, string> | undefined,
): DataFile {
  const decoded = decodeActionPath(add.path);
  const path = decoded.startsWith("file:")
    ? fileURLToPath(decoded)
    : isAbsolute(decoded)
      ? decoded
      : join(tableRoot, decoded);
  const stats = parseStats(add);
  const file: DataFile = { path, partitionValues: logicalPartitionValues(add, physicalNames), size: add.size };
  const withStats = stats === undefined ? file : { ...file, stats: logicalStats(stats, physicalNames) };
  const dv = add.deletionVector;
  if (dv === undefined || dv === null) return withStats;
  const store = createLocalObjectStore(tableRoot);
  return {
    ...withStats,
    deletionVector: { cardinality: dv.cardinality, load: (signal) => loadDeletionVector(store, dv, signal) },
  };
}

/** Partition values keyed by logical column name (the log keys them by physical name under column mapping). */
function logicalPartitionValues(
  add: AddAction,
  physicalNames: ReadonlyMap<string, string> | undefined,
): Record<string, string | null> {
  if (physicalNames === undefined) return add.partitionValues;
  const out: Record<string, string | null> = {};
  for (const [logical, physical] of physicalNames) {
    const value = add.partitionValues[physical] ?? add.partitionValues[logical];
    if (value !== undefined) out[logical] = value;
  }
  return out;
}

/** Stats keyed by logical column name (they are keyed by physical name under column mapping). */
function logicalStats(stats: FileStats, physicalNames: ReadonlyMap<string, string> | undefined): FileStats {
  if (physicalNames === undefined) return stats;
  const rekey = (values: Record<string, unknown> | undefined) => {
    if (values === undefined) return undefined;
    const out: Record<string, unknown> = {};
    for (const [logical, physical] of physicalNames) if (physical in values) out[logical] = values[physical];
    return out;
  };
  const out: FileStats = {};
  if (stats.numRecords !== undefined) out.numRecords = stats.numRecords;
  const min = rekey(stats.minValues);
  const max = rekey(stats.maxValues);
  const nulls = rekey(stats.nullCount);
  if (min !== undefined) out.minValues = min;
  if (max !== undefined) out.maxValues = max;
  if (nulls !== undefined) out.nullCount = nulls;
  return out;
}

function parseStats(add: AddAction): FileStats | undefined {
  let raw: unknown = add.statsParsed ?? undefined;
  if (raw === undefined && typeof add.stats === "string" && add.stats !== "") {
    try {
      raw = JSON.parse(add.stats);
    } catch {
      // Unreadable stats only cost file skipping for this file, never correctness.
      return undefined;
    }
  }
  if (!isRecord(raw)) return undefined;
  const stats: FileStats = {};
  if (typeof raw.numRecords === "number") stats.numRecords = raw.numRecords;
  if (isRecord(raw.minValues)) stats.minValues = raw.minValues;
  if (isRecord(raw.maxValues)) stats.maxValues = raw.maxValues;
  if (isRecord(raw.nullCount)) stats.nullCount = raw.nullCount;
  return stats;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
