import type { RecordBatch } from "apache-arrow";

// What the two off-thread Parquet decoders share: the parquet-wasm worker pool (parquet-worker-pool.ts) and the
// native decoder (native-decoder.ts) both produce a task's batches ahead of its consumer into a BufferedBatches.

/** How many bytes of decoded batches one task may hold ahead of its consumer. In bytes, not batches, so that a task
 * queued behind the one being consumed can decode a whole row group meanwhile (a window of a few batches let the
 * next task run only ~8 MB ahead and then wait, which made a parallel scan no faster than a serial one). */
export const DECODE_AHEAD_BYTES = 64 * 1024 * 1024;

/** What a decoding task reads: top-level columns, row groups, rows per batch. */
export interface DecodeOptions {
  columns?: readonly string[] | undefined;
  rowGroups?: readonly number[] | undefined;
  batchSize?: number | undefined;
}

/** A file (or some row groups of it) being decoded off this thread; batches come out in file order. */
export interface ParquetDecodeTask extends AsyncIterable<RecordBatch> {
  /** Stops decoding (for a consumer that stops early). */
  cancel(): void;
}

/**
 * The batches a producer has decoded and the consumer not yet taken, and how the task ended. The consumer iterates
 * (once); `onTaken(bytes)` reports each batch it takes while the producer runs, `onCancel` a consumer that stopped
 * early or called `cancel()`.
 */
export class BufferedBatches implements ParquetDecodeTask {
  private readonly items: { batch: RecordBatch; bytes: number }[] = [];
  private ended = false;
  private stopped = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly onTaken: (bytes: number) => void,
    private readonly onCancel: () => void,
  ) {}

  /** Whether the producer has ended (done or failed). */
  get done(): boolean {
    return this.ended;
  }

  /** Whether the consumer has stopped: the producer should stop too. */
  get cancelled(): boolean {
    return this.stopped;
  }

  push(batch: RecordBatch, bytes: number): void {
    if (this.stopped) return;
    this.items.push({ batch, bytes });
    this.notify();
  }

  /** Ends the task, with a failure the consumer sees after the batches before it; only the first end counts. */
  finish(failure?: Error): void {
    if (!this.ended) {
      this.ended = true;
      this.failure = failure;
    }
    this.notify();
  }

  cancel(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.items.length = 0;
    this.onCancel();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RecordBatch> {
    try {
      for (;;) {
        const next = this.items.shift();
        if (next !== undefined) {
          if (!this.ended) this.onTaken(next.bytes);
          yield next.batch;
          continue;
        }
        if (this.failure !== undefined) throw this.failure;
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      if (!this.ended) this.cancel();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
