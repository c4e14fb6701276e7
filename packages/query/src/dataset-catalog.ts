import type { Schema } from "apache-arrow";

/** A dataset's address: its path segments, e.g. `["demo", "model_training", "dataset"]`. */
export type AssetKey = readonly string[];

/** Which version of a dataset to read: the latest, a version number, or the version current at a time. */
export interface TimeTravel {
  version?: number;
  /** Epoch milliseconds. */
  timestamp?: number;
}

/** Per-file statistics as Delta writes them in `add.stats` (PROTOCOL.md "Per-file Statistics"). */
export interface FileStats {
  numRecords?: number;
  minValues?: Record<string, unknown>;
  maxValues?: Record<string, unknown>;
  nullCount?: Record<string, unknown>;
}

/** One Parquet data file of a dataset version: an active AddAction, with its path resolved to the local file. */
export interface DataFile {
  /** Absolute local path of the Parquet file. */
  readonly path: string;
  /** Partition values from the log (never from directory names), as the strings the log holds, by logical name. */
  readonly partitionValues: Readonly<Record<string, string | null>>;
  /** Statistics keyed by logical column name. */
  readonly stats?: FileStats;
  /** Present when the file has a deletion vector: rows the engine must not return. */
  readonly deletionVector?: DeletionVector;
  readonly size?: number;
}

/** A file's deletion vector (PROTOCOL.md "Deletion Vectors"): the row indexes it marks as deleted. */
export interface DeletionVector {
  readonly cardinality: number;
  /** The deleted row indexes (0-based positions in the Parquet file), sorted. */
  load(signal?: AbortSignal): Promise<Float64Array>;
}

/** The physical names inside a nested column (column mapping renames struct fields at every depth). */
export type PhysicalType =
  | { kind: "primitive" }
  | { kind: "struct"; fields: readonly { logical: string; physical: string; type: PhysicalType }[] }
  | { kind: "list"; element: PhysicalType }
  | { kind: "map"; key: PhysicalType; value: PhysicalType };

/** A dataset at one version, as the query engine needs it. */
export interface DatasetSnapshot {
  readonly key: AssetKey;
  readonly version: number;
  /** The logical schema (Arrow), partition columns included. */
  readonly schema: Schema;
  readonly partitionColumns: readonly string[];
  /** Logical column name -> physical name in the Parquet files, when the table uses column mapping. */
  readonly physicalNames?: ReadonlyMap<string, string>;
  /** Physical names inside nested columns, for the columns that have any (column mapping). */
  readonly nestedPhysicalTypes?: ReadonlyMap<string, PhysicalType>;
  /** The active data files of this version. */
  readonly files: readonly DataFile[];
}

/**
 * Where the engine finds datasets: implemented over Delta tables by `createDeltaCatalog`, and by anything else that
 * can list keys and hand out the data files of a version.
 */
export interface DatasetCatalog {
  /**
   * Folders holding every data file the catalog hands out; the engine may read files under these only. May change
   * over time (a table registered from elsewhere adds its folder); the engine asks before each query.
   */
  dataDirectories(signal?: AbortSignal): Promise<readonly string[]>;
  /** Every dataset's key. */
  listDatasets(signal?: AbortSignal): Promise<AssetKey[]>;
  /** The dataset at a version; NotFoundError when there is no such dataset or version. */
  openDataset(key: AssetKey, at?: TimeTravel, signal?: AbortSignal): Promise<DatasetSnapshot>;
}

/** `demo/model_training/dataset`: how keys appear in messages. */
export function formatAssetKey(key: AssetKey): string {
  return key.join("/");
}
