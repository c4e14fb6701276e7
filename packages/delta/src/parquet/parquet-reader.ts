import { basename, dirname, resolve } from "node:path";
import { CorruptTableError, FusionError, NotFoundError } from "@mlfusion/core";
import { type RecordBatch, type Schema, tableFromIPC } from "apache-arrow";
import { type FileMetaData, parquetMetadata, parquetMetadataAsync } from "hyparquet";
import { ParquetFile } from "parquet-wasm/node";
import { createLocalObjectStore } from "../storage/local-object-store.js";
import type { ObjectStore } from "../storage/object-store.js";

// All Parquet reading goes through this module, so that swapping the engine touches one file
// (docs/adr/0001-parquet-engine.md). Data pages: parquet-wasm (parquet-rs), converted to apache-arrow through the
// IPC stream format. Footers and statistics: hyparquet, which parses them without decoding any page.

/** The parsed footer of a Parquet file (schema, row groups, column-chunk statistics), as hyparquet returns it. */
export type ParquetFooter = FileMetaData;

/** How statistics values of logical types are decoded (hyparquet parsers); the default gives Date objects. */
export type FooterValueParsers = NonNullable<Parameters<typeof parquetMetadataAsync>[1]>["parsers"];

/** Options for {@link readParquetBatches}. */
export interface ParquetReadOptions {
  /** Top-level column names to read; all columns when omitted. Names absent from the file are ignored. */
  columns?: readonly string[];
  /** Row-group indexes to read; all row groups when omitted. */
  rowGroups?: readonly number[];
  /** Rows per batch; by default chosen from the footer so that a batch holds roughly 4 MB. */
  batchSize?: number;
  signal?: AbortSignal;
}

const TARGET_BATCH_BYTES = 4 * 1024 * 1024;
const MIN_BATCH_ROWS = 1024;
const MAX_BATCH_ROWS = 256 * 1024;

/**
 * Streams a Parquet file as apache-arrow RecordBatches. Only the requested columns and row groups are decoded,
 * and only one batch is materialised at a time: the file is read through ranged reads of the store.
 *
 * @example
 * for await (const batch of readParquetBatches(store, "part-0.parquet", { columns: ["id"] })) console.log(batch.numRows);
 */
export async function* readParquetBatches(
  store: ObjectStore,
  path: string,
  options: ParquetReadOptions = {},
): AsyncGenerator<RecordBatch> {
  const reader = await openParquetReader(store, path, options.signal);
  try {
    yield* reader.batches(options);
  } finally {
    reader.close();
  }
}

/** An open Parquet file: its Arrow schema and row counts, and a stream of its batches. */
export interface ParquetFileReader {
  /** The Arrow schema parquet-wasm reads the file as (with `PARQUET:field_id` field metadata when present). */
  readonly schema: Schema;
  readonly numRows: number;
  /** Rows per row group. */
  readonly rowGroupRows: readonly number[];
  /** Rows per batch that make about 4 MB of Arrow data for this file. */
  readonly defaultBatchSize: number;
  batches(options?: ParquetReadOptions): AsyncGenerator<RecordBatch>;
  close(): void;
}

/**
 * Opens a Parquet file of the store for reading (reads only its footer). Call `close()` when done.
 *
 * @example
 * const reader = await openParquetReader(store, "part-0.parquet");
 * try { for await (const b of reader.batches({ columns: ["id"] })) use(b); } finally { reader.close(); }
 */
export async function openParquetReader(
  store: ObjectStore,
  path: string,
  signal?: AbortSignal,
): Promise<ParquetFileReader> {
  signal?.throwIfAborted();
  const file = await openParquetFile(store, path, signal);
  let schema: Schema;
  const rowGroupRows: number[] = [];
  let bytes = 0;
  try {
    schema = fileArrowSchema(file);
    const metadata = file.metadata();
    for (const group of metadata.rowGroups()) {
      rowGroupRows.push(group.numRows());
      bytes += group.totalByteSize();
    }
    metadata.free();
  } catch (error) {
    file.free();
    throw wrapError(path, error);
  }
  const numRows = rowGroupRows.reduce((a, b) => a + b, 0);
  let closed = false;
  const defaultBatchSize =
    numRows === 0 || bytes === 0
      ? 64 * 1024
      : Math.min(MAX_BATCH_ROWS, Math.max(MIN_BATCH_ROWS, Math.floor(TARGET_BATCH_BYTES / (bytes / numRows))));
  return {
    schema,
    numRows,
    rowGroupRows,
    defaultBatchSize,
    async *batches(options: ParquetReadOptions = {}) {
      const batchSignal = options.signal ?? signal;
      const readerOptions: { columns?: string[]; rowGroups?: number[]; batchSize: number } = {
        batchSize: options.batchSize ?? defaultBatchSize,
      };
      if (options.columns !== undefined) {
        // parquet-wasm's stream traps (an unrecoverable wasm `unreachable`) on a column the file lacks: ask only
        // for columns that exist.
        const present = new Set(schema.fields.map((f) => f.name));
        readerOptions.columns = options.columns.filter((c) => present.has(c));
        if (readerOptions.columns.length === 0) return;
      }
      if (options.rowGroups !== undefined) readerOptions.rowGroups = [...options.rowGroups];
      if (readerOptions.rowGroups !== undefined && readerOptions.rowGroups.length === 0) return;
      if (numRows === 0) return;
      const stream: ReadableStream<unknown> = await wrapParquetError(path, () => file.stream(readerOptions));
      const reader = stream.getReader();
      try {
        for (;;) {
          batchSignal?.throwIfAborted();
          const { done, value } = await wrapParquetError(path, () => reader.read());
          if (done) break;
          yield toArrowBatch(value, path);
        }
      } finally {
        await reader.cancel().catch(() => undefined);
        reader.releaseLock();
      }
    },
    close() {
      if (!closed) {
        closed = true;
        file.free();
      }
    },
  };
}

/**
 * Streams a Parquet file from the local file system (the CLI's `--input file.parquet`).
 *
 * @example
 * for await (const batch of readParquetFileBatches("/tmp/input.parquet")) console.log(batch.numRows);
 */
export function readParquetFileBatches(path: string, options: ParquetReadOptions = {}): AsyncGenerator<RecordBatch> {
  const absolute = resolve(path);
  return readParquetBatches(createLocalObjectStore(dirname(absolute)), basename(absolute), options);
}

/**
 * Reads a whole (small) Parquet file into RecordBatches: for log checkpoints and sidecars, whose rows are all
 * needed at once. Data files go through {@link readParquetBatches}.
 */
export async function readParquetFile(
  store: ObjectStore,
  path: string,
  options: { columns?: readonly string[]; signal?: AbortSignal } = {},
): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  const streamOptions: ParquetReadOptions = { batchSize: 64 * 1024 };
  if (options.columns !== undefined) streamOptions.columns = options.columns;
  if (options.signal !== undefined) streamOptions.signal = options.signal;
  for await (const batch of readParquetBatches(store, path, streamOptions)) batches.push(batch);
  return batches;
}

/**
 * Reads and parses the footer of a Parquet file in the store (one or two ranged reads). The writer's stats
 * module derives `add.stats` from it.
 *
 * @example
 * const footer = await readParquetFooter(store, "part-0.parquet");
 * console.log(footer.num_rows, footer.row_groups[0]?.columns[0]?.meta_data?.statistics);
 */
export async function readParquetFooter(
  store: ObjectStore,
  path: string,
  signal?: AbortSignal,
  parsers?: FooterValueParsers,
): Promise<ParquetFooter> {
  const { size } = await store.head(path);
  const buffer = {
    byteLength: size,
    slice: async (start: number, end?: number): Promise<ArrayBuffer> =>
      toArrayBuffer(await store.getRange(path, start, end ?? size, signal)),
  };
  return wrapParquetError(path, () => parquetMetadataAsync(buffer, parsers === undefined ? {} : { parsers }));
}

/** Parses the footer of a Parquet file held in memory (the whole file, or at least its tail with the footer). */
export function parseParquetFooter(bytes: Uint8Array): ParquetFooter {
  try {
    return parquetMetadata(toArrayBuffer(bytes));
  } catch (error) {
    throw new CorruptTableError("The bytes are not a valid Parquet file (bad footer).", { cause: error });
  }
}

async function openParquetFile(
  store: ObjectStore,
  path: string,
  signal: AbortSignal | undefined,
): Promise<ParquetFile> {
  const { size } = await wrapParquetError(path, () => store.head(path));
  // parquet-wasm reads through the Blob interface (`slice(start, end).arrayBuffer()`); this blob-like object
  // turns each slice into a ranged read of the store, so only the footer and the needed column chunks are read.
  const blob = new StoreBlob(store, path, 0, size, signal);
  return wrapParquetError(path, () => ParquetFile.fromFile(blob));
}

/**
 * A Blob whose bytes stay in the store: `slice` is lazy and `arrayBuffer` performs one ranged read. parquet-wasm
 * only calls `size`, `slice` and `arrayBuffer`.
 */
class StoreBlob extends Blob {
  // An own data property shadows Blob's prototype getter.
  override readonly size: number;

  constructor(
    private readonly store: ObjectStore,
    private readonly path: string,
    private readonly start: number,
    private readonly end: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    super([]);
    this.size = end - start;
  }

  override slice(s = 0, e: number = this.size): StoreBlob {
    const from = this.start + clamp(s, this.size);
    const to = this.start + clamp(e, this.size);
    return new StoreBlob(this.store, this.path, from, Math.max(from, to), this.signal);
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    return toArrayBuffer(await this.store.getRange(this.path, this.start, this.end, this.signal));
  }
}

function clamp(offset: number, size: number): number {
  const o = offset < 0 ? size + offset : offset;
  return Math.min(Math.max(0, o), size);
}

/** The Arrow schema parquet-wasm derives from the file (top-level fields in file order). */
function fileArrowSchema(file: ParquetFile): Schema {
  return tableFromIPC(file.schema().intoIPCStream()).schema;
}

interface WasmRecordBatch {
  intoIPCStream(): Uint8Array;
}

function isWasmRecordBatch(value: unknown): value is WasmRecordBatch {
  return typeof value === "object" && value !== null && "intoIPCStream" in value;
}

function toArrowBatch(value: unknown, path: string): RecordBatch {
  if (!isWasmRecordBatch(value)) throw new CorruptTableError(`Unexpected value while reading ${path}.`);
  // The IPC stream copies the batch out of wasm memory once; measured as fast as zero-copy FFI views
  // (docs/adr/0001-parquet-engine.md) and with no pointer lifetimes to manage.
  const table = tableFromIPC(value.intoIPCStream());
  const batch = table.batches[0];
  if (batch === undefined) throw new CorruptTableError(`Empty record batch while reading ${path}.`);
  return batch;
}

async function wrapParquetError<T>(path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw wrapError(path, error);
  }
}

function wrapError(path: string, error: unknown): unknown {
  if (error instanceof NotFoundError) {
    return new NotFoundError(`Data file ${path} is missing; the table references a file that was deleted.`, {
      cause: error,
      details: { path },
    });
  }
  if (error instanceof FusionError || (error instanceof Error && error.name === "AbortError")) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CorruptTableError(`Cannot read Parquet file ${path}: ${message}.`, { cause: error, details: { path } });
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  return bytes.slice().buffer;
}
