import { InvalidArgumentError } from "@mlfusion/core";
import { type RecordBatch, Table, tableToIPC } from "apache-arrow";
import { type FileMetaData, parquetMetadata } from "hyparquet";
import {
  Compression,
  EnabledStatistics,
  transformParquetStream,
  type RecordBatch as WasmRecordBatch,
  Table as WasmTable,
  WriterPropertiesBuilder,
  writeParquet,
} from "parquet-wasm/node";
import { STATS_PARSERS } from "../stats/file-stats.js";
import type { ObjectStore } from "../storage/object-store.js";

// All Parquet writing goes through this module (docs/adr/0001-parquet-engine.md): parquet-wasm (parquet-rs),
// fed through the Arrow IPC stream format, streaming row groups straight into the object store so a file is
// never held whole in memory. Footers are parsed with hyparquet for `add.stats`.

/** Rows per Parquet row group: bounded so that the encoder's in-progress buffers stay small. */
const ROW_GROUP_ROWS = 1024 * 1024;
/** Keep this many trailing bytes of the output so the footer is usually parsed without reading the file back. */
const FOOTER_TAIL_BYTES = 1024 * 1024;

/** A Parquet file being streamed into an object store. */
export interface ParquetFileWriter {
  readonly path: string;
  /** Rows written so far. */
  readonly numRows: number;
  /** Arrow bytes written so far (an estimate of the uncompressed size, used to roll files). */
  readonly arrowBytes: number;
  /** Appends a batch (whose schema must equal the writer's). Resolves when the encoder has taken it. */
  write(batch: RecordBatch): Promise<void>;
  /** Completes the file and returns its size and parsed footer. */
  finish(): Promise<{ size: number; footer: FileMetaData }>;
  /** Abandons the file; nothing (or a complete object, if the store already had it) is left behind. */
  abort(reason: unknown): Promise<void>;
}

/** Options of {@link createParquetFileWriter}. */
export interface ParquetFileWriterOptions {
  signal?: AbortSignal;
  /**
   * Top-level columns written without dictionary encoding. Building a dictionary for high-cardinality columns
   * (floats, 64-bit ids, timestamps) before parquet-rs falls back to plain encoding roughly doubles the encode
   * time (measured on the benchmark data) and saves almost nothing.
   */
  plainColumns?: readonly string[];
}

function writerProperties(plainColumns: readonly string[] = []) {
  let builder = new WriterPropertiesBuilder()
    .setCompression(Compression.SNAPPY)
    .setStatisticsEnabled(EnabledStatistics.Chunk)
    .setMaxRowGroupSize(ROW_GROUP_ROWS)
    .setCreatedBy("mlfusion (parquet-rs via parquet-wasm)");
  for (const column of plainColumns) builder = builder.setColumnDictionaryEnabled(column, false);
  return builder.build();
}

/**
 * Starts streaming a Parquet file to `path` in `store`. Batches go through the encoder one at a time; the
 * store receives each row group as it completes.
 *
 * @example
 * const w = createParquetFileWriter(store, "part-0.parquet");
 * await w.write(batch);
 * const { size, footer } = await w.finish();
 */
export function createParquetFileWriter(
  store: ObjectStore,
  path: string,
  options: ParquetFileWriterOptions = {},
): ParquetFileWriter {
  const { signal } = options;
  const channel = new TransformStream<WasmRecordBatch, WasmRecordBatch>();
  const input = channel.writable.getWriter();
  let tail: Uint8Array = new Uint8Array(0);
  const stored = transformParquetStream(channel.readable, writerProperties(options.plainColumns)).then((output: ReadableStream) =>
    store.putStream(path, keepTail(output), signal),
  );
  // The upload is awaited in finish()/abort(); until then a failure must not count as an unhandled rejection.
  stored.catch(() => undefined);
  const failed = stored.then(() => new Promise<never>(() => undefined));
  let numRows = 0;
  let arrowBytes = 0;

  async function* keepTail(output: ReadableStream): AsyncGenerator<Uint8Array> {
    for await (const chunk of output) {
      if (!(chunk instanceof Uint8Array)) continue;
      tail = appendTail(tail, chunk);
      yield chunk;
    }
  }

  return {
    path,
    get numRows() {
      return numRows;
    },
    get arrowBytes() {
      return arrowBytes;
    },
    async write(batch: RecordBatch): Promise<void> {
      if (batch.numRows === 0) return;
      signal?.throwIfAborted();
      const wasmBatch = toWasmBatch(batch);
      await Promise.race([input.ready.then(() => input.write(wasmBatch)), failed]);
      numRows += batch.numRows;
      arrowBytes += batch.data.byteLength;
    },
    async finish() {
      await input.close();
      const { size } = await stored;
      const footer = await parseFooter(store, path, size, tail);
      return { size, footer };
    },
    async abort(reason: unknown) {
      await input.abort(reason).catch(() => undefined);
      // The upload rejects with the abort reason; its temporary object has been removed by the store.
      await stored.then(
        () => store.delete(path),
        () => undefined,
      );
    },
  };
}

/** Writes a whole (small) table to Parquet bytes in memory: for log checkpoints. */
export function writeParquetBytes(batches: readonly RecordBatch[]): Uint8Array {
  const first = batches[0];
  if (first === undefined) throw new InvalidArgumentError("Cannot write a Parquet file without a schema.");
  const wasmTable = WasmTable.fromIPCStream(tableToIPC(new Table(first.schema, [...batches]), "stream"));
  // writeParquet takes ownership of (and frees) the wasm table.
  return writeParquet(wasmTable, writerProperties());
}

function toWasmBatch(batch: RecordBatch): WasmRecordBatch {
  const table = WasmTable.fromIPCStream(tableToIPC(new Table([batch]), "stream"));
  try {
    const wasmBatch = table.recordBatch(0);
    if (wasmBatch === undefined) throw new InvalidArgumentError("Could not hand a batch to the Parquet encoder.");
    return wasmBatch;
  } finally {
    table.free();
  }
}

function appendTail(tail: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (chunk.byteLength >= FOOTER_TAIL_BYTES) return chunk.slice(chunk.byteLength - FOOTER_TAIL_BYTES);
  const keep = Math.min(tail.byteLength, FOOTER_TAIL_BYTES - chunk.byteLength);
  const out = new Uint8Array(keep + chunk.byteLength);
  out.set(tail.subarray(tail.byteLength - keep), 0);
  out.set(chunk, keep);
  return out;
}

async function parseFooter(store: ObjectStore, path: string, size: number, tail: Uint8Array): Promise<FileMetaData> {
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const footerLength = tail.byteLength >= 8 ? view.getUint32(tail.byteLength - 8, true) : Number.POSITIVE_INFINITY;
  const bytes =
    footerLength + 8 <= tail.byteLength ? tail : await store.getRange(path, Math.max(0, size - footerLength - 8), size);
  return parquetMetadata(bytes, { parsers: STATS_PARSERS });
}
