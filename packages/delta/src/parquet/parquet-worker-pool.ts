import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { CorruptTableError, FusionError } from "@mlfusion/core";
import { tableFromIPC } from "apache-arrow";
import { BufferedBatches, DECODE_AHEAD_BYTES, type DecodeOptions, type ParquetDecodeTask } from "./decode-task.js";
import { IDLE_MS, WasmWorkers } from "./wasm-workers.js";

// Parallel Parquet decoding with parquet-wasm, where the native decoder (native-decoder.ts) is not built or the
// table is not local: parquet-wasm is single-threaded, so a scan hands whole files (or row groups) of a local table
// to worker threads, each with its own wasm instance, and consumes their batches in order on the main thread.
// Workers send Arrow IPC bytes (transferred, not copied) and decode at most DECODE_AHEAD_BYTES of IPC ahead of the
// consumer per task, so memory stays bounded. Part of the Parquet module (docs/adr/0001-parquet-engine.md).

// The worker is plain JavaScript evaluated from a string, so it runs the same from TypeScript sources (tests)
// and from the build. It loads parquet-wasm's ESM glue by its resolved URL and instantiates it with a
// WebAssembly.Module compiled once in this thread and shared with every worker: V8 then shares the compiled code
// (and its tier-up to optimised code) between the workers, where each worker compiling its own copy cost
// ~100 ms of compilation plus ~400 ms of slower first decoding per worker, on the same cores that decode. Its
// last message for a task ("done" or "error") is posted after the task's resources are freed: from then on the
// worker is free for the next task, even while the main thread still holds the task's batches.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { openAsBlob } = require("node:fs");
let wasmPromise;
let task;
parentPort.on("message", (message) => {
  if (message.type === "start") run(message);
  else if (task !== undefined && message.id === task.id) {
    if (message.type === "credit") { task.outstanding -= message.bytes; task.wake(); }
    else if (message.type === "cancel") { task.cancelled = true; task.wake(); }
  }
});
async function run({ id, path, options }) {
  const state = { id, outstanding: 0, cancelled: false, wake: () => {} };
  task = state;
  let reader;
  let file;
  let last = { type: "done", id };
  try {
    wasmPromise ??= import(workerData.parquetWasmUrl).then((wasm) => {
      wasm.initSync({ module: workerData.wasmModule });
      return wasm;
    });
    const { ParquetFile } = await wasmPromise;
    file = await ParquetFile.fromFile(await openAsBlob(path));
    const stream = await file.stream(options);
    reader = stream.getReader();
    for (;;) {
      while (state.outstanding >= ${DECODE_AHEAD_BYTES} && !state.cancelled) {
        await new Promise((resolve) => { state.wake = resolve; });
      }
      if (state.cancelled) break;
      const { done, value } = await reader.read();
      if (done) break;
      const bytes = value.intoIPCStream();
      state.outstanding += bytes.byteLength;
      parentPort.postMessage({ type: "batch", id, bytes }, [bytes.buffer]);
    }
  } catch (error) {
    last = { type: "error", id, message: error instanceof Error ? error.message : String(error) };
  } finally {
    if (reader !== undefined) await reader.cancel().catch(() => undefined);
    if (file !== undefined) file.free();
    if (task === state) task = undefined;
    parentPort.postMessage(last);
  }
}
`;

type WorkerMessage =
  | { type: "batch"; id: number; bytes: Uint8Array }
  | { type: "done"; id: number }
  | { type: "error"; id: number; message: string };

function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === "object" && value !== null && "type" in value && typeof value.type === "string";
}

/**
 * A pool of decoding workers. Tasks start at once when a worker is free, otherwise in submission order. Workers
 * are created on demand (at most `size`), never keep the process alive, and exit after a few idle seconds.
 */
export class ParquetWorkerPool extends WasmWorkers {
  private readonly queue: QueuedTask[] = [];
  private nextId = 1;

  constructor(size: number, idleMs = IDLE_MS) {
    super(size, WORKER_SOURCE, idleMs);
  }

  /** Decode tasks submitted since the pool was created. */
  get tasksStarted(): number {
    return this.nextId - 1;
  }

  /** Decodes `path` (an absolute local file path) with the given reader options on a worker. */
  decode(path: string, options: DecodeOptions): ParquetDecodeTask {
    const id = this.nextId++;
    let worker: Worker | undefined;
    let waiting: QueuedTask | undefined;
    const batches = new BufferedBatches(
      (bytes) => worker?.postMessage({ type: "credit", id, bytes }),
      () => {
        if (waiting !== undefined) {
          // Not started yet: give up the place in the queue.
          const i = this.queue.indexOf(waiting);
          if (i >= 0) this.queue.splice(i, 1);
          waiting = undefined;
        }
        // A started task keeps its worker until the worker reports the task over (onMessage releases it).
        if (worker !== undefined && !batches.done) worker.postMessage({ type: "cancel", id });
      },
    );
    const detach = (): Worker | undefined => {
      const w = worker;
      if (w === undefined) return undefined;
      worker = undefined;
      w.off("message", onMessage);
      w.off("error", onError);
      w.off("exit", onExit);
      return w;
    };
    const onMessage = (message: unknown): void => {
      if (!isWorkerMessage(message) || message.id !== id) return;
      if (message.type === "batch") {
        // The transferred bytes are wrapped, not copied: the batch's buffers are views of them.
        const batch = tableFromIPC(message.bytes).batches[0];
        if (batch !== undefined) batches.push(batch, message.bytes.byteLength);
        return;
      }
      // The worker has freed the task's resources: it can decode the next task while these batches wait.
      const w = detach();
      if (w !== undefined) this.release(w);
      batches.finish(
        message.type === "error"
          ? new CorruptTableError(`Cannot read Parquet file ${path}: ${message.message}.`, { details: { path } })
          : undefined,
      );
    };
    const onError = (error: Error): void => {
      // The worker died (e.g. a wasm trap): drop it from the pool.
      const w = detach();
      if (w !== undefined) this.discard(w);
      batches.finish(
        new CorruptTableError(`Cannot read Parquet file ${path}: ${error.message}.`, { details: { path } }),
      );
    };
    const onExit = (): void => {
      // Terminated by close() mid-task.
      const w = detach();
      if (w !== undefined) this.discard(w);
      batches.finish(closedError(path));
    };
    const start = (w: Worker): void => {
      waiting = undefined;
      worker = w;
      w.on("message", onMessage);
      w.on("error", onError);
      w.on("exit", onExit);
      // A busy worker keeps the process alive (the consumer awaits its messages); an idle one does not.
      w.ref();
      const plain: { columns?: string[]; rowGroups?: number[]; batchSize?: number } = {};
      if (options.columns !== undefined) plain.columns = [...options.columns];
      if (options.rowGroups !== undefined) plain.rowGroups = [...options.rowGroups];
      if (options.batchSize !== undefined) plain.batchSize = options.batchSize;
      w.postMessage({ type: "start", id, path, options: plain });
    };
    waiting = { start, fail: () => batches.finish(closedError(path)) };
    this.acquire(waiting);
    return batches;
  }

  /** Terminates every worker; running and queued tasks fail. The pool creates new workers if used again. */
  override async close(): Promise<void> {
    for (const queued of this.queue.splice(0)) queued.fail();
    await super.close();
  }

  /** Starts `task` on a free worker, or queues it until one is released. */
  private acquire(task: QueuedTask): void {
    const worker = this.take();
    if (worker === undefined) this.queue.push(task);
    else task.start(worker);
  }

  protected override handOver(worker: Worker): boolean {
    const next = this.queue.shift();
    next?.start(worker);
    return next !== undefined;
  }

  protected override afterDiscard(): void {
    const next = this.queue.shift();
    if (next !== undefined) this.acquire(next);
  }
}

/** A task waiting for a worker: `start` hands it one, `fail` ends it when the pool closes first. */
interface QueuedTask {
  start(worker: Worker): void;
  fail(): void;
}

function closedError(path: string): FusionError {
  return new FusionError("CANCELLED", `Decoding ${path} stopped because the Parquet worker pool was closed.`, {
    details: { path },
  });
}

let shared: ParquetWorkerPool | undefined;

/** The process-wide decoding pool: one worker per core, at most 4. */
export function sharedParquetWorkerPool(): ParquetWorkerPool {
  shared ??= new ParquetWorkerPool(Math.max(1, Math.min(4, availableParallelism())));
  return shared;
}
