import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CorruptTableError, FusionError, NotFoundError } from "@mlfusion/core";
import { Data, type DataType, type Field, RecordBatch, type Schema, Struct, Type, tableFromIPC } from "apache-arrow";
import { BufferedBatches, DECODE_AHEAD_BYTES, type DecodeOptions, type ParquetDecodeTask } from "./decode-task.js";

// The native Parquet decoder (docs/adr/0006-native-parquet-decoding.md): arrow-rs's Parquet reader built for this
// machine (packages/delta/native, built by `npm run build` when cargo is installed), called through Node-API. Each
// task decodes one file (or some of its row groups) on libuv's thread pool, one batch at a time and at most
// DECODE_AHEAD_BYTES ahead of the consumer; several tasks run at once. A batch arrives without a copy: arrow-rs's
// buffers as external ArrayBuffers and a pre-order list of its array nodes, rebuilt here into apache-arrow Data
// (batchFromExport); batches of types the addon does not export that way (dictionaries, views, unions) arrive as
// Arrow IPC bytes in an external Buffer. Local files only: the addon opens them by path.

/** The interface version this code speaks; an addon reporting another is a stale build and is not used. */
const ABI_VERSION = 2;

const ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "build", "parquet_native.node");

/** A batch as the addon exports it (packages/delta/native/src/lib.rs, `ExportedBatch`). */
interface ExportedBatch {
  rows: number;
  /** Per array, in pre-order: length, null count, validity buffer index or -1, data buffer count, their indexes. */
  nodes: number[];
  buffers: Uint8Array[];
}

interface NativeReader {
  /** The batches' schema as Arrow IPC stream bytes. */
  schema(): Uint8Array;
  next(): Promise<ExportedBatch | Uint8Array | null>;
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
    // One item decodes while `size` more decode ahead, each on a libuv thread: at most 3 of libuv's 4 default threads,
    // so that file reads (footers, deletion vectors) and the rest of the process still get one.
    decoder = new NativeParquetDecoder(addon, Math.max(1, Math.min(2, availableParallelism())));
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

/** Decodes local Parquet files natively; `size` is how many tasks a scan runs ahead of the one it consumes (≤ 2). */
export class NativeParquetDecoder {
  /** Batches handed over without a copy, and as IPC bytes (types the addon does not export directly). */
  readonly batches = { exported: 0, ipc: 0 };

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
        const schema = tableFromIPC(reader.schema()).schema;
        for (;;) {
          while (outstanding >= DECODE_AHEAD_BYTES && !queue.cancelled) {
            await new Promise<void>((resolve) => {
              resume = resolve;
            });
          }
          if (queue.cancelled) break;
          const next = await reader.next();
          if (next === null || queue.cancelled) break;
          let batch: RecordBatch | undefined;
          let bytes = 0;
          if (next instanceof Uint8Array) {
            batch = tableFromIPC(next).batches[0];
            bytes = next.byteLength;
            this.batches.ipc++;
          } else {
            batch = batchFromExport(schema, next);
            for (const buffer of next.buffers) bytes += buffer.byteLength;
            this.batches.exported++;
          }
          if (batch === undefined) throw mismatch("an IPC message without a record batch");
          outstanding += bytes;
          queue.push(batch, bytes);
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

/** Rebuilds an exported batch: each field's Data over the exported buffers, in the addon's pre-order. */
function batchFromExport(schema: Schema, exported: ExportedBatch): RecordBatch {
  const cursor = { at: 0 };
  const children = schema.fields.map((field) => loadData(field.type, exported, cursor));
  if (cursor.at !== exported.nodes.length) throw mismatch("the exported nodes do not match the schema");
  return new RecordBatch(schema, new Data(new Struct(schema.fields), 0, exported.rows, 0, {}, children));
}

function loadData(type: DataType, exported: ExportedBatch, cursor: { at: number }): Data {
  const { nodes, buffers } = exported;
  const next = (): number => {
    const value = nodes[cursor.at++];
    if (value === undefined) throw mismatch("the exported nodes end early");
    return value;
  };
  const buffer = (index: number): Uint8Array => {
    const b = buffers[index];
    if (b === undefined) throw mismatch(`no exported buffer ${index}`);
    return b;
  };
  const length = next();
  const nullCount = next();
  const validity = next();
  const count = next();
  const own: Uint8Array[] = [];
  for (let i = 0; i < count; i++) own.push(buffer(next()));
  const nullBitmap = validity >= 0 ? buffer(validity) : undefined;
  const own0 = (): Uint8Array => own[0] ?? new Uint8Array(0);
  const data = (
    valueOffsets: ArrayBufferView | undefined,
    values: ArrayBufferView | undefined,
    children: Data[] = [],
  ) => new Data(type, 0, length, nullCount, [valueOffsets, values, nullBitmap] as never, children);
  const child = (field: Field | undefined): Data => {
    if (field === undefined) throw mismatch(`${type} has no child field`);
    return loadData(field.type, exported, cursor);
  };
  switch (type.typeId) {
    case Type.Null:
      return new Data(type, 0, length, length, {});
    case Type.Bool:
      return data(undefined, own0());
    case Type.Int:
    case Type.Float:
    case Type.Decimal:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.FixedSizeBinary:
      return data(undefined, view(type.ArrayType, own0()));
    case Type.Utf8:
    case Type.Binary:
      return data(view(Int32Array, own0()), own[1] ?? new Uint8Array(0));
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return data(view(BigInt64Array, own0()), own[1] ?? new Uint8Array(0));
    case Type.List:
    case Type.Map:
      return data(view(Int32Array, own0()), undefined, [child(type.children[0])]);
    case Type.FixedSizeList:
      return data(undefined, undefined, [child(type.children[0])]);
    case Type.Struct:
      return data(
        undefined,
        undefined,
        type.children.map((f: Field) => child(f)),
      );
    default:
      throw mismatch(`the addon exported a ${type} column, which it sends as IPC`);
  }
}

type ViewCtor = new (
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
) => ArrayBufferView & {
  BYTES_PER_ELEMENT: number;
};

/** A typed array of `Ctor` over the bytes (exported buffers start at their own ArrayBuffer, so they are aligned). */
function view(Ctor: ViewCtor & { BYTES_PER_ELEMENT: number }, bytes: Uint8Array): ArrayBufferView {
  return new Ctor(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / Ctor.BYTES_PER_ELEMENT));
}

/** A batch the addon exported that this code cannot rebuild: a mismatch between the two, not a corrupt file. */
function mismatch(message: string): FusionError {
  return new FusionError("INTERNAL", `The native Parquet decoder and its JavaScript side disagree: ${message}.`);
}

function decodeError(path: string, error: unknown): Error {
  if (error instanceof FusionError) return error;
  if (!existsSync(path)) {
    return new NotFoundError(`Data file ${path} is missing; the table references a file that was deleted.`, {
      cause: error,
      details: { path },
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CorruptTableError(`Cannot read Parquet file ${path}: ${message}.`, { cause: error, details: { path } });
}
