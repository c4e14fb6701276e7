import type { DuckDBResult } from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";
import { Field, makeData, RecordBatch, Schema, Struct } from "apache-arrow";
import { type ColumnBuilder, createColumnBuilder } from "./column-builders.js";
import { type BatchMemory, handled, nativeAddon, nativeResultBatches, resultHandle } from "./native-batches.js";
import { arrowTypeOf, type NativeKind } from "./native-kinds.js";

/** Batches are cut at this many rows or bytes, whichever comes first (roughly 1-4 MB per batch). */
export interface BatchLimits {
  maxRows: number;
  maxBytes: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxRows: 128 * 1024, maxBytes: 4 * 1024 * 1024 };

/** DuckDB's data chunks hold at most this many rows (STANDARD_VECTOR_SIZE). */
const CHUNK_ROWS = 2048;

/** The Arrow schema of a result whose columns all have native kinds. */
export function resultSchema(names: readonly string[], kinds: readonly NativeKind[]): Schema {
  return new Schema(kinds.map((kind, i) => new Field(names[i] ?? `column${i}`, arrowTypeOf(kind), true)));
}

/**
 * Streams a DuckDB result as Arrow RecordBatches, one batch per `limits`. `checkpoint` runs before every fetch
 * (deadline and cancellation checks). The native conversion does the work when it is built (`native` true, the
 * default); otherwise, or with `native` false, the JavaScript builders below. `memory` learns the buffers of native
 * batches, so that a consumer can recycle them once written out; `interrupt` stops DuckDB's work on the result when
 * the consumer stops early.
 */
export async function* resultBatches(
  result: DuckDBResult,
  schema: Schema,
  kinds: readonly NativeKind[],
  checkpoint: () => void,
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
  native = true,
  memory?: BatchMemory,
  interrupt?: () => void,
): AsyncGenerator<RecordBatch> {
  const addon = native ? nativeAddon() : undefined;
  if (addon?.accepts(resultHandle(result)) === true) {
    yield* nativeResultBatches(addon, result, schema, kinds, checkpoint, limits, memory, interrupt);
    return;
  }
  yield* javascriptResultBatches(result, schema, kinds, checkpoint, limits);
}

/** Chunks copied column by column into the JavaScript builders (column-builders.ts). */
async function* javascriptResultBatches(
  result: DuckDBResult,
  schema: Schema,
  kinds: readonly NativeKind[],
  checkpoint: () => void,
  limits: BatchLimits,
): AsyncGenerator<RecordBatch> {
  const capacity = limits.maxRows + CHUNK_ROWS;
  const builders: ColumnBuilder[] = kinds.map((k) => createColumnBuilder(k, capacity));
  let rows = 0;
  const emit = (): RecordBatch => {
    const children = builders.map((b) => b.flush());
    const data = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children });
    rows = 0;
    return new RecordBatch(schema, data);
  };
  // One fetch is always in flight while the previous chunk is converted: each fetch is a round trip through the
  // libuv thread pool, and overlapping it with the copy hides most of that latency.
  const fetchChunk = () => handled(result.fetchChunk());
  let pending = fetchChunk();
  try {
    for (;;) {
      checkpoint();
      const chunk = await pending;
      if (chunk === null || chunk.rowCount === 0) break;
      pending = fetchChunk();
      const n = chunk.rowCount;
      for (let c = 0; c < builders.length; c++) {
        builders[c]?.appendRange(duckdb.data_chunk_get_vector(chunk.chunk, c), 0, n);
      }
      rows += n;
      if (rows >= limits.maxRows || builders.reduce((sum, b) => sum + b.byteLength, 0) >= limits.maxBytes) {
        yield emit();
      }
    }
    if (rows > 0) yield emit();
  } finally {
    // Settle the fetch still in flight before the caller closes the connection under it. Its outcome no longer
    // matters: the consumer stopped, or the query already failed with the error being thrown.
    await pending.then(
      () => undefined,
      () => undefined,
    );
  }
}
