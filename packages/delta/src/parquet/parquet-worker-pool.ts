import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { CorruptTableError } from "@mlfusion/core";
import { type RecordBatch, tableFromIPC } from "apache-arrow";

// Parallel Parquet decoding: parquet-wasm is single-threaded, so a scan hands whole files (or row groups) of a
// local table to worker threads, each with its own wasm instance, and consumes their batches in order on the
// main thread. Workers send Arrow IPC bytes (transferred, not copied) and decode at most WINDOW batches ahead of
// the consumer, so memory stays bounded. Part of the Parquet module (docs/adr/0001-parquet-engine.md).

const WINDOW = 4;

// The worker is plain JavaScript evaluated from a string, so it runs the same from TypeScript sources (tests)
// and from the build; it loads parquet-wasm by its resolved URL.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { openAsBlob } = require("node:fs");
let wasmPromise;
let task;
parentPort.on("message", (message) => {
  if (message.type === "start") run(message);
  else if (task !== undefined && message.id === task.id) {
    if (message.type === "credit") { task.credits += 1; task.wake(); }
    else if (message.type === "cancel") { task.cancelled = true; task.wake(); }
  }
});
async function run({ id, path, options }) {
  const state = { id, credits: ${WINDOW}, cancelled: false, wake: () => {} };
  task = state;
  let reader;
  let file;
  try {
    wasmPromise ??= import(workerData.parquetWasmUrl);
    const { ParquetFile } = await wasmPromise;
    file = await ParquetFile.fromFile(await openAsBlob(path));
    const stream = await file.stream(options);
    reader = stream.getReader();
    for (;;) {
      while (state.credits === 0 && !state.cancelled) await new Promise((resolve) => { state.wake = resolve; });
      if (state.cancelled) break;
      const { done, value } = await reader.read();
      if (done) break;
      const bytes = value.intoIPCStream();
      state.credits -= 1;
      parentPort.postMessage({ type: "batch", id, bytes }, [bytes.buffer]);
    }
    parentPort.postMessage({ type: "done", id });
  } catch (error) {
    parentPort.postMessage({ type: "error", id, message: error instanceof Error ? error.message : String(error) });
  } finally {
    if (reader !== undefined) await reader.cancel().catch(() => undefined);
    if (file !== undefined) file.free();
    if (task === state) task = undefined;
    parentPort.postMessage({ type: "idle" });
  }
}
`;

/** What a worker reads: top-level columns, row groups, rows per batch. */
export interface DecodeOptions {
  columns?: readonly string[] | undefined;
  rowGroups?: readonly number[] | undefined;
  batchSize?: number | undefined;
}

type WorkerMessage =
  | { type: "batch"; id: number; bytes: Uint8Array }
  | { type: "done"; id: number }
  | { type: "error"; id: number; message: string }
  | { type: "idle" };

function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === "object" && value !== null && "type" in value && typeof value.type === "string";
}

/** A file (or some row groups of it) being decoded by a worker; batches come out in file order. */
export interface ParquetDecodeTask extends AsyncIterable<RecordBatch> {
  /** Stops decoding (for a consumer that stops early). */
  cancel(): void;
}

/** A pool of decoding workers. Tasks start at once when a worker is free, otherwise in submission order. */
export class ParquetWorkerPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: (() => void)[] = [];
  private nextId = 1;

  constructor(readonly size: number) {}

  /** Decodes `path` (an absolute local file path) with the given reader options on a worker. */
  decode(path: string, options: DecodeOptions): ParquetDecodeTask {
    const id = this.nextId++;
    const buffered: RecordBatch[] = [];
    let finished = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    let worker: Worker | undefined;
    let cancelled = false;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    let workerIdle = false;
    const onMessage = (message: unknown): void => {
      if (!isWorkerMessage(message)) return;
      if (message.type === "idle") {
        // A worker runs one task at a time: while this task is attached, its idle message is ours.
        workerIdle = true;
        return;
      }
      if (message.id !== id) return;
      if (message.type === "batch") {
        const batch = tableFromIPC(message.bytes).batches[0];
        if (batch !== undefined) buffered.push(batch);
      } else if (message.type === "error") {
        failure = new CorruptTableError(`Cannot read Parquet file ${path}: ${message.message}.`, { details: { path } });
        finished = true;
      } else {
        finished = true;
      }
      notify();
    };
    const onError = (error: Error): void => {
      // The worker died (e.g. a wasm trap): drop it from the pool.
      failure = new CorruptTableError(`Cannot read Parquet file ${path}: ${error.message}.`, { details: { path } });
      finished = true;
      if (worker !== undefined) {
        worker.off("message", onMessage);
        worker.off("error", onError);
        this.discard(worker);
        worker = undefined;
      }
      notify();
    };
    const start = (w: Worker): void => {
      worker = w;
      if (cancelled) {
        this.release(w);
        return;
      }
      w.on("message", onMessage);
      w.on("error", onError);
      const plain: { columns?: string[]; rowGroups?: number[]; batchSize?: number } = {};
      if (options.columns !== undefined) plain.columns = [...options.columns];
      if (options.rowGroups !== undefined) plain.rowGroups = [...options.rowGroups];
      if (options.batchSize !== undefined) plain.batchSize = options.batchSize;
      w.postMessage({ type: "start", id, path, options: plain });
    };
    this.acquire(start);
    const detach = (): void => {
      if (worker === undefined) return;
      const w = worker;
      worker = undefined;
      w.off("message", onMessage);
      w.off("error", onError);
      // The worker posts "idle" once its task is over (done, error or cancelled); only then is it reusable.
      const onIdle = (message: unknown): void => {
        if (isWorkerMessage(message) && message.type === "idle") {
          w.off("message", onIdle);
          this.release(w);
        }
      };
      if (workerIdle) this.release(w);
      else w.on("message", onIdle);
    };
    return {
      cancel() {
        if (cancelled) return;
        cancelled = true;
        if (worker !== undefined && !finished) worker.postMessage({ type: "cancel", id });
        detach();
      },
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            const batch = buffered.shift();
            if (batch !== undefined) {
              worker?.postMessage({ type: "credit", id });
              yield batch;
              continue;
            }
            if (failure !== undefined) throw failure;
            if (finished) return;
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
        } finally {
          if (!finished) this.cancel();
          else detach();
        }
      },
    };
  }

  private acquire(start: (w: Worker) => void): void {
    const free = this.idle.pop();
    if (free !== undefined) {
      start(free);
      return;
    }
    if (this.all.length < this.size) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { parquetWasmUrl: import.meta.resolve("parquet-wasm/node") },
      });
      worker.unref(); // an idle pool never keeps the process alive
      this.all.push(worker);
      start(worker);
      return;
    }
    this.queue.push(() => this.acquire(start));
  }

  private discard(worker: Worker): void {
    const i = this.all.indexOf(worker);
    if (i >= 0) this.all.splice(i, 1);
    void worker.terminate();
    const next = this.queue.shift();
    next?.();
  }

  private release(worker: Worker): void {
    this.idle.push(worker);
    const next = this.queue.shift();
    next?.();
  }
}

let shared: ParquetWorkerPool | undefined;

/** The process-wide decoding pool (one worker per core, at most 4). */
export function sharedParquetWorkerPool(): ParquetWorkerPool {
  shared ??= new ParquetWorkerPool(Math.max(1, Math.min(4, availableParallelism())));
  return shared;
}
