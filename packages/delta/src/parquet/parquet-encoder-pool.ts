import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { FusionError } from "@mlfusion/core";
import type { ParquetEncoder } from "./parquet-writer.js";
import { IDLE_MS, WasmWorkers } from "./wasm-workers.js";

// Parquet encoding on worker threads, next to the in-thread encoder (docs/adr/0004-delta-write-path.md). A data
// file takes a worker only when one is idle and never waits for one: the writer encodes the next file in its own
// thread while a worker finishes the previous one, so two files encode at once without changing which rows go to
// which file or the order of files. Each worker encodes one file at a time with its own parquet-wasm instance (the
// compiled module is shared with the decoding pool); batches go to it as transferred IPC bytes, at most
// `budgetBytes` of them not yet taken by its encoder, and its row groups come back as transferred bytes.

/** How every data file is encoded; the in-thread encoder (parquet-writer.ts) uses the same settings. */
export interface EncoderSettings {
  rowGroupRows: number;
  createdBy: string;
  plainColumns: readonly string[];
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
let wasmPromise;
let task;
parentPort.on("message", (message) => {
  if (message.type === "start") start(message);
  else if (task !== undefined && message.id === task.id) {
    const state = task;
    // An abort takes effect at once: queued batches are skipped rather than encoded for nothing.
    if (message.type === "abort") state.abortReason ??= message.reason;
    // Batches, close and abort are applied in order, after the encoder exists; the first failure ends the task.
    state.chain = state.chain.then(() => state.handle(message)).catch((error) => state.fail(error, true));
  }
});
function loadWasm() {
  wasmPromise ??= import(workerData.parquetWasmUrl)
    .then((wasm) => {
      wasm.initSync({ module: workerData.wasmModule });
      return wasm;
    })
    .catch((error) => {
      wasmPromise = undefined;
      throw error;
    });
  return wasmPromise;
}
function start({ id, settings }) {
  const state = { id, ended: false, abortReason: undefined };
  task = state;
  let input;
  let pump;
  // Ends the task once: the encoder's input and output are torn down, then "done" or "error" is posted. An error
  // is fatal (the worker is not reused: its wasm instance may be broken) unless it is the abort that was asked for.
  const end = async (error, fatal) => {
    if (state.ended) return;
    state.ended = true;
    if (error !== undefined && input !== undefined) await input.abort(error).catch(() => undefined);
    if (pump !== undefined) await pump.catch(() => undefined);
    if (task === state) task = undefined;
    parentPort.postMessage(error === undefined
      ? { type: "done", id }
      : { type: "error", id, fatal, message: error instanceof Error ? error.message : String(error) });
  };
  state.fail = (error, fatal) => end(error, fatal);
  state.chain = (async () => {
    const wasm = await loadWasm();
    let builder = new wasm.WriterPropertiesBuilder()
      .setCompression(wasm.Compression.SNAPPY)
      .setStatisticsEnabled(wasm.EnabledStatistics.Chunk)
      .setMaxRowGroupSize(settings.rowGroupRows)
      .setCreatedBy(settings.createdBy);
    for (const column of settings.plainColumns) builder = builder.setColumnDictionaryEnabled(column, false);
    const channel = new TransformStream();
    input = channel.writable.getWriter();
    const output = wasm.transformParquetStream(channel.readable, builder.build());
    pump = (async () => {
      for await (const chunk of await output) {
        const bytes = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
        parentPort.postMessage({ type: "chunk", id, bytes }, [bytes.buffer]);
      }
    })();
    pump.catch(() => undefined);
    state.handle = async (message) => {
      if (state.ended) return;
      if (message.type === "batch") {
        try {
          if (state.abortReason !== undefined) return;
          const table = wasm.Table.fromIPCStream(message.ipc);
          const batch = table.recordBatch(0);
          table.free();
          if (batch === undefined) throw new Error("a batch could not be handed to the Parquet encoder");
          await input.ready;
          await input.write(batch);
        } finally {
          parentPort.postMessage({ type: "taken", id, bytes: message.ipc.byteLength });
        }
      } else if (message.type === "close") {
        await input.close();
        await pump;
        await end(undefined, false);
      } else if (message.type === "abort") {
        await end(new Error(message.reason), false);
      }
    };
  })().catch((error) => end(error, true));
}
`;

type WorkerMessage =
  | { type: "chunk"; id: number; bytes: Uint8Array }
  | { type: "taken"; id: number; bytes: number }
  | { type: "done"; id: number }
  | { type: "error"; id: number; message: string; fatal: boolean };

function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === "object" && value !== null && "type" in value && "id" in value;
}

/**
 * Parquet encoding workers. `tryStart` returns an encoder on an idle (or new) worker, or undefined when all are
 * busy; the caller then encodes in its own thread.
 */
export class ParquetEncoderPool extends WasmWorkers {
  private nextId = 1;

  constructor(size: number, idleMs = IDLE_MS) {
    super(size, WORKER_SOURCE, idleMs);
  }

  /** Files handed to workers since the pool was created. */
  get filesStarted(): number {
    return this.nextId - 1;
  }

  /** An encoder for one file on a worker, or undefined when every worker is busy (or none can be started). */
  tryStart(settings: EncoderSettings, budgetBytes: number): ParquetEncoder | undefined {
    const worker = this.take();
    if (worker === undefined) return undefined;
    return this.encoder(worker, settings, budgetBytes);
  }

  private encoder(worker: Worker, settings: EncoderSettings, budgetBytes: number): ParquetEncoder {
    const id = this.nextId++;
    const chunks: Uint8Array[] = [];
    let outstanding = 0;
    let ended = false;
    let failure: Error | undefined;
    let wakeOutput: (() => void) | undefined;
    let wakeInput: (() => void) | undefined;
    let attached = true;
    const notify = () => {
      const a = wakeOutput;
      const b = wakeInput;
      wakeOutput = undefined;
      wakeInput = undefined;
      a?.();
      b?.();
    };
    const detach = () => {
      if (!attached) return false;
      attached = false;
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
      return true;
    };
    const fail = (error: Error) => {
      if (!ended) {
        failure = error;
        ended = true;
      }
      notify();
    };
    const onMessage = (message: unknown) => {
      if (!isWorkerMessage(message) || message.id !== id) return;
      if (message.type === "chunk") chunks.push(message.bytes);
      else if (message.type === "taken") outstanding -= message.bytes;
      else {
        if (message.type === "error") fail(new FusionError("INTERNAL", `Parquet encoding failed: ${message.message}.`));
        ended = true;
        // The worker has ended the file: it is free for the next one, unless it failed on its own (its wasm
        // instance may be broken).
        if (detach()) {
          if (message.type === "error" && message.fatal) this.discard(worker);
          else this.release(worker);
        }
      }
      notify();
    };
    const onError = (error: Error) => {
      if (detach()) this.discard(worker);
      fail(new FusionError("INTERNAL", `Parquet encoding failed: its worker crashed (${error.message}).`));
    };
    const onExit = () => {
      if (detach()) this.discard(worker);
      fail(new FusionError("CANCELLED", "Parquet encoding stopped: its worker exited."));
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
    // A busy worker keeps the process alive (the writer awaits its messages); an idle one does not.
    worker.ref();
    worker.postMessage({ type: "start", id, settings: { ...settings, plainColumns: [...settings.plainColumns] } });

    async function* output(): AsyncGenerator<Uint8Array> {
      for (;;) {
        const chunk = chunks.shift();
        if (chunk !== undefined) {
          yield chunk;
          continue;
        }
        if (ended) {
          if (failure !== undefined) throw failure;
          return;
        }
        await new Promise<void>((resolve) => {
          wakeOutput = resolve;
        });
      }
    }

    return {
      async write(ipc: Uint8Array): Promise<void> {
        if (failure !== undefined) throw failure;
        if (ended) throw new FusionError("INTERNAL", "Write to a Parquet encoder that already ended.");
        const whole = ipc.byteOffset === 0 && ipc.byteLength === ipc.buffer.byteLength ? ipc : ipc.slice();
        outstanding += whole.byteLength;
        worker.postMessage({ type: "batch", id, ipc: whole }, [whole.buffer as ArrayBuffer]);
        while (outstanding > budgetBytes && !ended) {
          await new Promise<void>((resolve) => {
            wakeInput = resolve;
          });
        }
        if (failure !== undefined) throw failure;
      },
      async close(): Promise<void> {
        if (!ended) worker.postMessage({ type: "close", id });
      },
      async abort(reason: unknown): Promise<void> {
        if (ended) return;
        worker.postMessage({ type: "abort", id, reason: reason instanceof Error ? reason.message : String(reason) });
        fail(reason instanceof Error ? reason : new Error(String(reason)));
      },
      output: output(),
    };
  }
}

let shared: ParquetEncoderPool | undefined;

/** The process-wide encoding pool: one worker per core beyond the writer's own, at least one, at most 3. */
export function sharedParquetEncoderPool(): ParquetEncoderPool {
  shared ??= new ParquetEncoderPool(Math.max(1, Math.min(3, availableParallelism() - 1)));
  return shared;
}
