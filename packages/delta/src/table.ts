import type { RecordBatch, Schema } from "apache-arrow";
import type { Expression } from "./expression/expression.js";
import type { MetadataAction, ProtocolAction } from "./log/actions.js";
import { fileNumRecords } from "./scan/file-statistics.js";
import { createScan, type ScanFile, type ScanOptions } from "./scan/scan.js";
import { toArrowSchema } from "./schema/arrow-schema.js";
import type { StructType } from "./schema/delta-schema.js";
import { type LoadSnapshotOptions, loadSnapshot, type Snapshot } from "./snapshot/snapshot.js";
import type { ObjectStore } from "./storage/object-store.js";

/** Options of {@link DeltaTable.open}. */
export interface OpenTableOptions {
  /** Time travel to this version. */
  version?: number;
  /** Time travel to the latest version committed at or before this time (epoch ms, Date or ISO-8601 text). */
  timestamp?: number | Date | string;
  signal?: AbortSignal;
}

/** Size of a table version from the log: files, rows (from statistics, when every file has them) and bytes. */
export interface TableFileStats {
  numFiles: number;
  /** Sum of `numRecords` over files with statistics; rows removed by deletion vectors are subtracted. */
  numRecords: number;
  /** True when some file has no statistics, so numRecords is a lower bound. */
  numRecordsIsPartial: boolean;
  sizeBytes: number;
}

/**
 * A Delta table opened at one version: metadata from the log and scans that stream RecordBatches.
 *
 * @example
 * const table = await DeltaTable.open(createLocalObjectStore("/data/t"), { version: 3 });
 * for await (const batch of table.scan({ columns: ["id"], filter: "id > 10" })) console.log(batch.numRows);
 */
export class DeltaTable {
  private constructor(
    readonly store: ObjectStore,
    readonly snapshot: Snapshot,
  ) {}

  /** Opens a table at its latest version or, with `version`/`timestamp`, an earlier one. */
  static async open(store: ObjectStore, options: OpenTableOptions = {}): Promise<DeltaTable> {
    const snapshotOptions: LoadSnapshotOptions = {};
    if (options.version !== undefined) snapshotOptions.version = options.version;
    if (options.timestamp !== undefined) snapshotOptions.timestamp = options.timestamp;
    if (options.signal !== undefined) snapshotOptions.signal = options.signal;
    return new DeltaTable(store, await loadSnapshot(store, snapshotOptions));
  }

  get version(): number {
    return this.snapshot.version;
  }

  get metadata(): MetadataAction {
    return this.snapshot.metadata;
  }

  get protocol(): ProtocolAction {
    return this.snapshot.protocol;
  }

  get partitionColumns(): readonly string[] {
    return this.snapshot.partitionColumns;
  }

  /** The Delta schema (logical names, Delta types, field metadata). */
  get deltaSchema(): StructType {
    return this.snapshot.schema;
  }

  /** The user-facing Arrow schema: the types scans return (mlfusion.arrowType hints applied). */
  schema(): Schema {
    return toArrowSchema(this.snapshot.schema, { applyArrowTypeHints: true });
  }

  /** Streams the rows of this version; see {@link ScanOptions}. Never holds the table in memory. */
  scan(options: ScanOptions = {}): AsyncIterable<RecordBatch> {
    return createScan(this.store, this.snapshot, options).execute();
  }

  /** The data files a scan with this filter would open (after partition pruning and statistics skipping). */
  files(options: { filter?: string | Expression } = {}): ScanFile[] {
    const scanOptions: ScanOptions = options.filter === undefined ? {} : { filter: options.filter };
    return createScan(this.store, this.snapshot, scanOptions).files();
  }

  /** Number of files, rows (from statistics) and bytes of this version. */
  fileStats(): TableFileStats {
    let numRecords = 0;
    let partial = false;
    let sizeBytes = 0;
    for (const add of this.snapshot.files) {
      sizeBytes += add.size;
      const n = fileNumRecords(add);
      if (n === undefined) partial = true;
      else numRecords += n - (add.deletionVector?.cardinality ?? 0);
    }
    return { numFiles: this.snapshot.files.length, numRecords, numRecordsIsPartial: partial, sizeBytes };
  }
}
