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
import type { EncoderSettings } from "./parquet-encoder-pool.js";

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

/** Written into every data file's footer. */
export const CREATED_BY = "mlfusion (parquet-rs via parquet-wasm)";

/** The settings of every data file; parquet-encoder-pool.ts applies the same ones in its workers. */
export function encoderSettings(plainColumns: readonly string[] = []): EncoderSettings {
  return { rowGroupRows: ROW_GROUP_ROWS, createdBy: CREATED_BY, plainColumns };
}

function writerProperties(plainColumns: readonly string[] = []) {
  let builder = new WriterPropertiesBuilder()
    .setCompression(Compression.SNAPPY)
    .setStatisticsEnabled(EnabledStatistics.Chunk)
    .setMaxRowGroupSize(ROW_GROUP_ROWS)
    .setCreatedBy(CREATED_BY);
  for (const column of plainColumns) builder = builder.setColumnDictionaryEnabled(column, false);
  return builder.build();
}

/**
 * A Parquet encoder for one file: takes Arrow IPC stream bytes (one batch each) and produces the file's bytes.
 * {@link startParquetEncoding} runs it in this thread; parquet-encoder-pool.ts on a worker thread.
 */
export interface ParquetEncoder {
  /** Hands over one batch as IPC stream bytes (the buffer may be transferred); resolves when it may be reused. */
  write(ipc: Uint8Array): Promise<void>;
  /** Ends the input; the output completes with the footer. */
  close(): Promise<void>;
  /** Abandons the file; the output fails. */
  abort(reason: unknown): Promise<void>;
  /** The file's bytes, one chunk per completed row group plus the footer. */
  readonly output: AsyncIterable<Uint8Array>;
}

/** Encodes in this thread with parquet-wasm. */
export function startParquetEncoding(plainColumns: readonly string[] = []): ParquetEncoder {
  const channel = new TransformStream<WasmRecordBatch, WasmRecordBatch>();
  const input = channel.writable.getWriter();
  const output = transformParquetStream(channel.readable, writerProperties(plainColumns));
  // Consumed through `output`; until then a failure must not count as an unhandled rejection.
  output.catch(() => undefined);
  return {
    async write(ipc: Uint8Array): Promise<void> {
      const table = WasmTable.fromIPCStream(ipc);
      const batch = table.recordBatch(0);
      table.free();
      if (batch === undefined) throw new InvalidArgumentError("Could not hand a batch to the Parquet encoder.");
      await input.ready;
      await input.write(batch);
    },
    close: () => input.close(),
    abort: (reason: unknown) => input.abort(reason),
    output: (async function* () {
      for await (const chunk of await output) {
        if (chunk instanceof Uint8Array) yield chunk;
      }
    })(),
  };
}

/**
 * Starts streaming a Parquet file to `path` in `store`. Batches go through `encoder` (by default in this
 * thread); the store receives each row group as it completes.
 *
 * @example
 * const w = createParquetFileWriter(store, "part-0.parquet");
 * await w.write(batch);
 * const { size, footer } = await w.finish();
 */
export function createParquetFileWriter(
  store: ObjectStore,
  path: string,
  options: ParquetFileWriterOptions & { encoder?: ParquetEncoder } = {},
): ParquetFileWriter {
  const { signal } = options;
  const encoder = options.encoder ?? startParquetEncoding(options.plainColumns);
  let tail: Uint8Array = new Uint8Array(0);
  const stored = store.putStream(path, keepTail(encoder.output), signal);
  // The upload is awaited in finish()/abort(); until then a failure must not count as an unhandled rejection.
  stored.catch(() => undefined);
  const failed = stored.then(() => new Promise<never>(() => undefined));
  // Raced by write() only; a file that gets no write must not leave an unhandled rejection behind.
  failed.catch(() => undefined);
  let numRows = 0;
  let arrowBytes = 0;

  async function* keepTail(output: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of output) {
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
      // The IPC size is the batch's own size; a slice's Data.byteLength would count its parent's whole buffers.
      const ipc = tableToIPC(new Table([batch]), "stream");
      const size = ipc.byteLength;
      await Promise.race([encoder.write(ipc), failed]);
      numRows += batch.numRows;
      arrowBytes += size;
    },
    async finish() {
      await encoder.close();
      const { size } = await stored;
      const footer = await parseFooter(store, path, size, tail);
      return { size, footer };
    },
    async abort(reason: unknown) {
      await encoder.abort(reason).catch(() => undefined);
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
