import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CorruptTableError, NotFoundError } from "@mlfusion/core";
import { tableFromIPC } from "apache-arrow";
import { BufferedBatches, DECODE_AHEAD_BYTES, type DecodeOptions, type ParquetDecodeTask } from "./decode-task.js";

// The native Parquet decoder (docs/adr/0006-native-parquet-decoding.md): arrow-rs's Parquet reader built for this
// machine (packages/delta/native, built by `npm run build` when cargo is installed), called through Node-API. Each
// task decodes one file (or some of its row groups) on libuv's thread pool, one batch at a time and at most
// DECODE_AHEAD_BYTES ahead of the consumer; several tasks run at once. Batches arrive as Arrow IPC bytes in an
// external Buffer, which apache-arrow wraps without a copy. Local files only: the addon opens them by path.

/** The interface version this code speaks; an addon reporting another is a stale build and is not used. */
const ABI_VERSION = 1;

const ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "build", "parquet_native.node");

interface NativeReader {
  next(): Promise<Uint8Array | null>;
  close(): void;
}

interface NativeAddon {
  abiVersion(): number;
  openReader(
    path: string,
    options: { columns?: string[]; rowGroups?: number[]; batchSize?: number },
  ): Promise<NativeReader>;
}

/** Whether the native decoder is loaded, and if not, why. */
export type NativeDecoderStatus = { loaded: true; path: string } | { loaded: false; reason: string };

let status: NativeDecoderStatus | undefined;
let decoder: NativeParquetDecoder | undefined;

/** Loads the addon once and says whether it is usable. */
export function nativeDecoderStatus(): NativeDecoderStatus {
  if (status !== undefined) return status;
  if (!existsSync(ADDON_PATH)) {
    status = { loaded: false, reason: `${ADDON_PATH} is not built (npm run build, with Rust's cargo installed)` };
    return status;
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    if (addon.abiVersion() !== ABI_VERSION) {
      status = { loaded: false, reason: `${ADDON_PATH} is a stale build (npm run build)` };
      return status;
    }
    decoder = new NativeParquetDecoder(addon, Math.max(1, Math.min(4, availableParallelism())));
    status = { loaded: true, path: ADDON_PATH };
  } catch (error) {
    status = { loaded: false, reason: error instanceof Error ? error.message : String(error) };
  }
  return status;
}

/** The native decoder, when its addon is built and loads. */
export function nativeParquetDecoder(): NativeParquetDecoder | undefined {
  nativeDecoderStatus();
  return decoder;
}

/** Decodes local Parquet files natively; `size` is how many tasks a scan should run at once (one per core, ≤ 4). */
export class NativeParquetDecoder {
  constructor(
    private readonly addon: NativeAddon,
    readonly size: number,
  ) {}

  /** Decodes `path` (an absolute local file path); batches come out in file order. */
  decode(path: string, options: DecodeOptions): ParquetDecodeTask {
    let outstanding = 0;
    let resume: (() => void) | undefined;
    const wakeProducer = (): void => {
      const r = resume;
      resume = undefined;
      r?.();
    };
    const queue = new BufferedBatches(
      (bytes) => {
        outstanding -= bytes;
        wakeProducer();
      },
      () => wakeProducer(),
    );
    const plain: { columns?: string[]; rowGroups?: number[]; batchSize?: number } = {};
    if (options.columns !== undefined) plain.columns = [...options.columns];
    if (options.rowGroups !== undefined) plain.rowGroups = [...options.rowGroups];
    if (options.batchSize !== undefined) plain.batchSize = options.batchSize;
    const produce = async (): Promise<void> => {
      let reader: NativeReader | undefined;
      try {
        reader = await this.addon.openReader(path, plain);
        for (;;) {
          while (outstanding >= DECODE_AHEAD_BYTES && !queue.cancelled) {
            await new Promise<void>((resolve) => {
              resume = resolve;
            });
          }
          if (queue.cancelled) break;
          const bytes = await reader.next();
          if (bytes === null || queue.cancelled) break;
          const batch = tableFromIPC(bytes).batches[0];
          if (batch === undefined) throw new Error("a batch without rows");
          outstanding += bytes.byteLength;
          queue.push(batch, bytes.byteLength);
        }
        queue.finish();
      } catch (error) {
        queue.finish(decodeError(path, error));
      } finally {
        reader?.close();
      }
    };
    void produce();
    return queue;
  }
}

function decodeError(path: string, error: unknown): Error {
  if (!existsSync(path)) {
    return new NotFoundError(`Data file ${path} is missing; the table references a file that was deleted.`, {
      cause: error,
      details: { path },
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CorruptTableError(`Cannot read Parquet file ${path}: ${message}.`, { cause: error, details: { path } });
}
