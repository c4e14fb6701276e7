import type { DuckDBResult } from "@duckdb/node-api";
import { FusionError } from "@mlfusion/core";
import type { RecordBatch, Schema } from "apache-arrow";
import { BatchMemory, nativeAddon } from "./arrow/native-batches.js";
import type { NativeKind } from "./arrow/native-kinds.js";
import { DEFAULT_BATCH_LIMITS, resultBatches } from "./arrow/result-batches.js";
import type { QueryGuard } from "./query-guard.js";
import type { DatasetScan } from "./query-plan.js";

/**
 * A running query: its Arrow schema, how it read each dataset, and its rows as RecordBatches. Iterate it (once)
 * or call `close()`; either releases the DuckDB connection.
 */
export interface QueryResult extends AsyncIterable<RecordBatch> {
  readonly schema: Schema;
  readonly scans: readonly DatasetScan[];
  close(): void;
  /**
   * Hands back the memory of batches already written out, given the byte chunks they were written as (e.g. the
   * Flight frames of a batch, once the socket took them): the ArrayBuffers under `chunks` that this result created
   * are detached and reused for its next batches. Optional to call; other buffers are left alone. Only for batches
   * nothing reads any more: reading them afterwards fails.
   */
  recycle(chunks: readonly Uint8Array[]): void;
}

/** A result with a schema and no rows (a prepared-only query). */
export function emptyResult(schema: Schema, scans: DatasetScan[], close: () => void): QueryResult {
  let closed = false;
  const once = () => {
    if (!closed) {
      closed = true;
      close();
    }
  };
  return {
    schema,
    scans,
    close: once,
    recycle: () => undefined,
    [Symbol.asyncIterator]: () => {
      once();
      return emptyIterator();
    },
  };
}

async function* emptyIterator(): AsyncGenerator<RecordBatch> {
  // A prepared-only result has a schema but no rows.
}

/** The rows of a running DuckDB result, streamed once; errors pass through the guard's translation. */
export function streamingResult(
  stream: DuckDBResult,
  schema: Schema,
  kinds: NativeKind[],
  scans: DatasetScan[],
  guard: QueryGuard,
  sql: string,
  close: (finished: boolean) => void,
): QueryResult {
  let closed = false;
  let started = false;
  let finished = false;
  const once = () => {
    if (!closed) {
      closed = true;
      // Closed while rows are still coming: stop DuckDB's work on them now (the fetching thread may be inside a
      // long fetch); the connection then ends the result when it runs its next statement.
      if (started && !finished) guard.halt();
      // Unfinished: DuckDB still holds the result's buffer and open files until the connection runs again.
      close(finished);
    }
  };
  const checkpoint = () => {
    if (closed) throw new FusionError("CANCELLED", "The query result was closed while it was being read.");
    guard.check();
  };
  const memory = new BatchMemory(nativeAddon());
  return {
    schema,
    scans,
    close: once,
    recycle: (chunks) => memory.recycle(chunks),
    async *[Symbol.asyncIterator]() {
      if (started) throw new FusionError("INVALID_ARGUMENT", "A query result can be iterated only once.");
      started = true;
      try {
        yield* resultBatches(stream, schema, kinds, checkpoint, DEFAULT_BATCH_LIMITS, true, memory, () => guard.halt());
        guard.check();
        finished = true;
      } catch (error) {
        throw error instanceof FusionError && error.code === "CANCELLED" && closed
          ? error
          : guard.translate(error, sql);
      } finally {
        once();
      }
    },
  };
}
