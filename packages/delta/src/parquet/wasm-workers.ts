import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

// The worker lifecycle both Parquet pools share (parquet-worker-pool.ts decodes, parquet-encoder-pool.ts encodes):
// workers running parquet-wasm from an eval'd source, created on demand up to `size`, ref'd while busy and unref'd
// while idle (an idle pool never keeps the process alive), all exiting once every one has been idle for `idleMs`
// (their wasm heaps only ever grow), and dropped from the pool when they die.

/** Idle workers exit after this long, releasing their wasm heaps. */
export const IDLE_MS = 5_000;

export abstract class WasmWorkers {
  protected readonly idle: Worker[] = [];
  protected readonly all = new Set<Worker>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly size: number,
    private readonly source: string,
    private readonly idleMs = IDLE_MS,
  ) {}

  /** Live worker threads (busy or idle). */
  get workerCount(): number {
    return this.all.size;
  }

  /** Workers not running a task. */
  get idleCount(): number {
    return this.idle.length;
  }

  /** Terminates every worker (running tasks fail through their listeners). New workers start if used again. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  /** An idle worker, else a new one while below `size`; undefined when neither (or a worker cannot start). */
  protected take(): Worker | undefined {
    const free = this.idle.pop();
    if (free !== undefined) {
      this.scheduleIdleExit();
      return free;
    }
    if (this.all.size >= this.size) return undefined;
    let worker: Worker;
    try {
      worker = new Worker(this.source, {
        eval: true,
        workerData: { parquetWasmUrl: import.meta.resolve("parquet-wasm/esm"), wasmModule: sharedWasmModule() },
      });
    } catch {
      return undefined;
    }
    // A worker that dies while idle leaves the pool; a busy one also fails its task through the task's listeners.
    worker.on("error", () => this.discard(worker));
    worker.on("exit", () => this.discard(worker));
    this.all.add(worker);
    return worker;
  }

  /** A worker whose task is over: handed to a waiting task if the pool has one, else parked idle. */
  protected release(worker: Worker): void {
    if (!this.all.has(worker)) return;
    if (this.handOver(worker)) return;
    worker.unref();
    this.idle.push(worker);
    this.scheduleIdleExit();
  }

  /** Drops a worker (dead, or not to be reused). */
  protected discard(worker: Worker): void {
    if (!this.all.delete(worker)) return;
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    void worker.terminate();
    this.afterDiscard();
    this.scheduleIdleExit();
  }

  /** Gives a freed worker to a waiting task; true when one took it. */
  protected handOver(_worker: Worker): boolean {
    return false;
  }

  /** Called after a worker left the pool (a waiting task may now start a new one). */
  protected afterDiscard(): void {}

  /** Once every worker has been idle for `idleMs`, they all exit. */
  private scheduleIdleExit(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.idle.length === 0 || this.idle.length < this.all.size) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.idle.length === this.all.size) void this.close();
    }, this.idleMs);
    this.idleTimer.unref();
  }
}

// The compiler's libraries here (ES2022, no DOM) do not declare WebAssembly; this is the one member used.
declare const WebAssembly: { Module: new (bytes: Uint8Array) => object };

let wasmModule: object | undefined;

/**
 * parquet-wasm's compiled module, shared by all workers (compiled lazily: a few ms, code is compiled on use). V8
 * shares the compiled code, and its tier-up to optimised code, between the workers.
 */
export function sharedWasmModule(): object {
  wasmModule ??= new WebAssembly.Module(
    readFileSync(fileURLToPath(import.meta.resolve("parquet-wasm/esm/parquet_wasm_bg.wasm"))),
  );
  return wasmModule;
}
