import { randomUUID } from "node:crypto";
import { InvalidArgumentError } from "@mlfusion/core";
import { makeData, RecordBatch, type Schema, Struct } from "apache-arrow";
import type { AddAction } from "../log/actions.js";
import { sharedParquetEncoderPool } from "../parquet/parquet-encoder-pool.js";
import {
  createParquetFileWriter,
  encoderSettings,
  type ParquetEncoder,
  type ParquetFileWriter,
  type ParquetFileWriterOptions,
} from "../parquet/parquet-writer.js";
import { takeData } from "../scan/row-filter.js";
import { type DataType, decimalParams, type StructType } from "../schema/delta-schema.js";
import { DecimalBounds, statsFromFooter } from "../stats/file-stats.js";
import type { ObjectStore } from "../storage/object-store.js";
import { type PartitionRun, partitionDirectory, partitionRuns, toAddPath } from "./partition-path.js";

/** Default size at which a data file is closed, measured on the Arrow data fed to it (~40-60 MB of Parquet). */
export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024;
/** Types written without dictionary encoding: they are rarely repetitive (see parquet-writer.ts). */
const PLAIN_TYPES: ReadonlySet<string> = new Set(["float", "double", "long", "timestamp", "timestamp_ntz"]);
/** More runs than this in one batch are gathered per partition rather than written as slices. */
const MAX_SLICES_PER_BATCH = 16;
/** IPC bytes a worker-encoded file may hold queued, at least: enough that a whole file goes to its worker at once. */
const WORKER_BUDGET = 64 * 1024 * 1024;
/** ...and at most (a larger targetFileSize then overlaps only part of a file). */
const MAX_WORKER_BUDGET = 256 * 1024 * 1024;
/** Files open at once (one per partition being written); the largest is closed when more are needed. */
const MAX_OPEN_FILES = 16;

/** Options for {@link createDataFileWriter}. */
export interface DataFileWriterOptions {
  /** The table schema (all columns, Delta types). */
  schema: StructType;
  /** The physical Arrow schema of the data files: the non-partition columns. */
  fileSchema: Schema;
  partitionColumns: readonly string[];
  targetFileSize: number;
  /** Encode files on worker threads when one is idle (default true; see parquet-encoder-pool.ts). */
  workers?: boolean;
  signal?: AbortSignal;
}

interface OpenFile {
  writer: ParquetFileWriter;
  decimals: DecimalBounds;
  relativePath: string;
  partitionValues: Record<string, string | null>;
}

/**
 * Writes batches (physical Delta types, all columns) into Parquet data files, one or more per partition,
 * closing each when it reaches the target size, and returns the `add` actions of the finished files.
 */
export interface DataFileWriter {
  write(batch: RecordBatch): Promise<void>;
  /** Writes a batch of data columns only (the file schema) into the partition with these values. */
  writeToPartition(partitionValues: Readonly<Record<string, string | null>>, batch: RecordBatch): Promise<void>;
  /** Finishes every open file; returns all add actions. */
  close(): Promise<AddAction[]>;
  /** Abandons open files; finished files stay as orphans until vacuum removes them. */
  abort(reason: unknown): Promise<void>;
  /** Paths (relative, not encoded) of every file written or being written. */
  readonly writtenPaths: readonly string[];
}

/** Creates a {@link DataFileWriter} for one write operation. */
export function createDataFileWriter(store: ObjectStore, options: DataFileWriterOptions): DataFileWriter {
  const { partitionColumns, fileSchema, targetFileSize, signal } = options;
  const partitionTypes = new Map<string, DataType>(options.schema.fields.map((f) => [f.name, f.type]));
  const dataFields: StructType = {
    type: "struct",
    fields: options.schema.fields.filter((f) => !partitionColumns.includes(f.name)),
  };
  const plainColumns = dataFields.fields
    .filter((f) => typeof f.type === "string" && PLAIN_TYPES.has(f.type))
    .map((f) => f.name);
  const decimalColumns = new Map<string, number>();
  for (const f of dataFields.fields) {
    const d = decimalParams(f.type);
    if (d !== undefined) decimalColumns.set(f.name, d.scale);
  }
  const open = new Map<string, OpenFile>();
  // Files being finished, in the order they were closed. One at a time finishes in the background (its last row
  // group, upload and fsync) while the next file fills: the fsync otherwise idled this thread for ~15% of a write.
  const finishing: Promise<AddAction>[] = [];
  /** The first background finish that failed: later writes fail at once instead of encoding for nothing. */
  let failed: { error: unknown } | undefined;
  const writtenPaths: string[] = [];
  let fileIndex = 0;

  function openFile(key: string, partitionValues: Record<string, string | null>): OpenFile {
    const first = fileIndex === 0;
    const name = `part-${String(fileIndex++).padStart(5, "0")}-${randomUUID()}-c000.snappy.parquet`;
    const dir = partitionDirectory(partitionColumns, partitionValues);
    const relativePath = dir === "" ? name : `${dir}/${name}`;
    writtenPaths.push(relativePath);
    // After the first file of an unpartitioned write, a file takes an idle encoding worker when there is one, so
    // that it encodes while this thread encodes the next file. A write of one file (most small writes) never pays
    // for starting a worker; partitioned writes keep many files open and encode here.
    const encoder =
      !first && partitionColumns.length === 0 && options.workers !== false
        ? sharedParquetEncoderPool().tryStart(
            encoderSettings(plainColumns),
            Math.min(MAX_WORKER_BUDGET, Math.max(targetFileSize, WORKER_BUDGET)),
          )
        : undefined;
    const writerOptions: ParquetFileWriterOptions & { encoder?: ParquetEncoder } = { plainColumns };
    if (signal !== undefined) writerOptions.signal = signal;
    if (encoder !== undefined) writerOptions.encoder = encoder;
    const writer = createParquetFileWriter(store, relativePath, writerOptions);
    const file = { writer, relativePath, partitionValues, decimals: new DecimalBounds(decimalColumns) };
    open.set(key, file);
    return file;
  }

  /** Starts finishing `file` once the previous file has finished (whose failure surfaces here). */
  async function finish(key: string, file: OpenFile): Promise<void> {
    open.delete(key);
    const previous = finishing.at(-1);
    if (previous !== undefined) {
      try {
        await previous;
      } catch (error) {
        // No longer open and never finishing: abandon it here, or its upload would wait forever.
        await file.writer.abort(error).catch(() => undefined);
        throw error;
      }
    }
    const add = file.writer.finish().then(
      ({ size, footer }): AddAction => ({
        path: toAddPath(file.relativePath),
        partitionValues: file.partitionValues,
        size,
        modificationTime: Date.now(),
        dataChange: true,
        stats: statsFromFooter(footer, dataFields, file.decimals.result()),
      }),
    );
    // Awaited by the next finish, close() or abort(); until then a failure is not an unhandled rejection.
    add.catch((error: unknown) => {
      failed ??= { error };
    });
    finishing.push(add);
  }

  async function route(key: string, values: Record<string, string | null>, slice: RecordBatch): Promise<void> {
    let file = open.get(key);
    if (file === undefined) {
      if (open.size >= MAX_OPEN_FILES) {
        const [largestKey, largest] = [...open.entries()].reduce((a, b) =>
          b[1].writer.arrowBytes > a[1].writer.arrowBytes ? b : a,
        );
        await finish(largestKey, largest);
      }
      file = openFile(key, values);
    }
    if (decimalColumns.size > 0) file.decimals.add(slice);
    await file.writer.write(slice);
    if (file.writer.arrowBytes >= targetFileSize) await finish(key, file);
  }

  return {
    get writtenPaths() {
      return writtenPaths;
    },
    async write(batch: RecordBatch): Promise<void> {
      signal?.throwIfAborted();
      if (failed !== undefined) throw failed.error;
      if (batch.numRows === 0) return;
      if (partitionColumns.length === 0) {
        await route("", {}, project(batch, fileSchema));
        return;
      }
      const runs = partitionRuns(batch, partitionColumns, partitionTypes);
      if (runs.length <= MAX_SLICES_PER_BATCH) {
        for (const run of runs) await route(run.key, run.values, project(batch.slice(run.start, run.end), fileSchema));
        return;
      }
      // Interleaved partitions: gather each partition's rows into one batch instead of many tiny slices.
      for (const group of groupRuns(runs)) {
        const taken = takeRows(batch, group.indices);
        if (taken !== undefined) await route(group.key, group.values, project(taken, fileSchema));
        else
          for (const run of group.runs)
            await route(run.key, run.values, project(batch.slice(run.start, run.end), fileSchema));
      }
    },
    async writeToPartition(partitionValues, batch): Promise<void> {
      if (batch.numRows === 0) return;
      const values: Record<string, string | null> = {};
      for (const c of partitionColumns) values[c] = partitionValues[c] ?? null;
      await route(JSON.stringify(partitionColumns.map((c) => values[c] ?? null)), values, project(batch, fileSchema));
    },
    async close(): Promise<AddAction[]> {
      for (const [key, file] of [...open.entries()]) await finish(key, file);
      return Promise.all(finishing);
    },
    async abort(reason: unknown): Promise<void> {
      const files = [...open.values()];
      open.clear();
      await Promise.allSettled(finishing);
      for (const file of files) await file.writer.abort(reason);
    },
  };
}

/** The runs of each partition of a batch, in first-seen order, with their row indices. */
function groupRuns(
  runs: readonly PartitionRun[],
): { key: string; values: Record<string, string | null>; runs: PartitionRun[]; indices: Int32Array }[] {
  const groups = new Map<string, PartitionRun[]>();
  for (const run of runs) {
    const list = groups.get(run.key);
    if (list === undefined) groups.set(run.key, [run]);
    else list.push(run);
  }
  return [...groups.entries()].map(([key, list]) => {
    const count = list.reduce((n, r) => n + r.end - r.start, 0);
    const indices = new Int32Array(count);
    let k = 0;
    for (const r of list) for (let i = r.start; i < r.end; i++) indices[k++] = i;
    return { key, values: list[0]?.values ?? {}, runs: list, indices };
  });
}

/** The rows `indices` of a batch gathered into new buffers, or undefined for a layout takeData cannot gather. */
function takeRows(batch: RecordBatch, indices: Int32Array): RecordBatch | undefined {
  const children = [];
  for (let c = 0; c < batch.numCols; c++) {
    const data = batch.getChildAt(c)?.data[0];
    const taken = data === undefined ? undefined : takeData(data, indices);
    if (taken === undefined) return undefined;
    children.push(taken);
  }
  return new RecordBatch(
    batch.schema,
    makeData({ type: new Struct(batch.schema.fields), length: indices.length, nullCount: 0, children }),
  );
}

/** The batch's columns named in `schema`, in its order (partition columns are not stored in data files). */
function project(batch: RecordBatch, schema: Schema): RecordBatch {
  if (batch.schema.fields.length === schema.fields.length) return batch;
  const children = schema.fields.map((f) => {
    const index = batch.schema.fields.findIndex((g) => g.name === f.name);
    const data = batch.getChildAt(index)?.data[0];
    if (data === undefined) throw new InvalidArgumentError(`The input has no column ${JSON.stringify(f.name)}.`);
    return data;
  });
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children }),
  );
}
