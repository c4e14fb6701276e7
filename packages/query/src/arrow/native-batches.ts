import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DuckDBResult } from "@duckdb/node-api";
import type duckdb from "@duckdb/node-bindings";
import {
  Binary,
  type Bool,
  type Data,
  type DataType,
  type Decimal,
  type List,
  type Map_,
  makeData,
  RecordBatch,
  type Schema,
  Struct,
  type Utf8,
} from "apache-arrow";
import { arrowTypeOf, type NativeKind } from "./native-kinds.js";
import type { BatchLimits } from "./result-batches.js";

/** A result's fetching thread in the addon (an external); see `NativeAddon.startPump`. */
export type NativePump = { readonly __nativePump: unique symbol };

/**
 * The native conversion (packages/query/native/duckdb_arrow.cc, built by `npm run build`): a thread of the addon
 * fetches a result's chunks as fast as DuckDB produces them (the "pump"), and a libuv worker copies them into Arrow
 * buffers, a whole batch per call, so neither the per-chunk fetch round trips nor the copy run on the event loop,
 * and DuckDB's scan never waits for the conversion. `resultBatches` uses it when it is built; the JavaScript
 * builders remain for machines without a C++ compiler.
 */
export interface NativeAddon {
  /** Bumped by the addon whenever its calls change (duckdb_arrow.cc, kAbiVersion). */
  readonly abiVersion: number;
  init(libduckdbPath: string): void;
  /** Whether `result` is a result handle the addon can read (the bindings' type tag). */
  accepts(result: duckdb.Result): boolean;
  /**
   * Starts fetching `result` on a thread of the addon, keeping at most `capacity` chunks queued. Nothing else may
   * read the result until `stopPump` settles.
   */
  startPump(result: duckdb.Result, capacity: number): NativePump;
  /** Ends the pump's thread (after the fetch it is in) and frees its queued chunks; the result may then be closed. */
  stopPump(pump: NativePump): Promise<void>;
  /**
   * Detaches these ArrayBuffers (fetchBatch's, of batches already written out): V8 drops their memory at once and
   * the addon reuses it for the next batches, instead of both waiting for a garbage collection.
   */
  release(buffers: ArrayBuffer[]): void;
  /** One batch of at most `maxRows` rows or about `maxBytes` bytes from the pump's queue; null at the end. */
  fetchBatch(
    pump: NativePump,
    plan: Int32Array,
    maxRows: number,
    maxBytes: number,
    cancel?: Int32Array,
  ): Promise<NativeBatch | null>;
}

/** The addon's calls this module makes. */
const ABI_VERSION = 4;
/**
 * The @duckdb/node-bindings version the addon was written and tested against: it reads the bindings' result
 * handle (an external holding `duckdb_result*`), so any other version falls back to the JavaScript builders.
 */
const TESTED_BINDINGS_VERSION = "1.5.6-r.1";

interface NativeNode {
  length: number;
  nullCount: number;
  validity: ArrayBuffer | null;
  values: ArrayBuffer | null;
  offsets: ArrayBuffer | null;
}

interface NativeBatch {
  rows: number;
  /** The result ended within this batch: fetching again would fail. */
  done: boolean;
  nodes: NativeNode[];
}

/** Whether the native conversion is loaded, and if not, why. */
export type NativeConversionStatus = { loaded: true; path: string } | { loaded: false; reason: string };

let addon: NativeAddon | undefined;
let status: NativeConversionStatus | undefined;

const ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "build", "duckdb_arrow.node");

/** The libduckdb that @duckdb/node-bindings loads (its platform package, as the bindings choose it). */
function libduckdbPath(): string {
  const require = createRequire(import.meta.url);
  const bindings = require.resolve("@duckdb/node-bindings");
  const fromBindings = createRequire(bindings);
  const file = process.platform === "darwin" ? "libduckdb.dylib" : "libduckdb.so";
  const candidates = [`${process.platform}-${process.arch}`, `${process.platform}-${process.arch}-musl`];
  for (const suffix of candidates) {
    try {
      const path = join(dirname(fromBindings.resolve(`@duckdb/node-bindings-${suffix}/package.json`)), file);
      if (existsSync(path)) return path;
    } catch {
      // Not this platform package.
    }
  }
  throw new Error(`no ${file} beside @duckdb/node-bindings`);
}

/** Loads the addon once (after @duckdb/node-bindings, whose libduckdb it uses). */
export function nativeConversionStatus(): NativeConversionStatus {
  if (status !== undefined) return status;
  if (!existsSync(ADDON_PATH)) {
    status = { loaded: false, reason: `${ADDON_PATH} is not built (npm run build, with a C++ compiler)` };
    return status;
  }
  try {
    const require = createRequire(import.meta.url);
    const bindingsVersion = (require("@duckdb/node-bindings/package.json") as { version: string }).version;
    if (bindingsVersion !== TESTED_BINDINGS_VERSION) {
      status = {
        loaded: false,
        reason: `@duckdb/node-bindings is ${bindingsVersion}; the native conversion is tested with ${TESTED_BINDINGS_VERSION}`,
      };
      return status;
    }
    // The bindings load libduckdb; the addon then opens that same copy.
    require("@duckdb/node-bindings");
    const loaded = require(ADDON_PATH) as NativeAddon;
    if (loaded.abiVersion !== ABI_VERSION) {
      status = { loaded: false, reason: `${ADDON_PATH} is a stale build (npm run build)` };
      return status;
    }
    loaded.init(libduckdbPath());
    addon = loaded;
    status = { loaded: true, path: ADDON_PATH };
  } catch (error) {
    status = { loaded: false, reason: error instanceof Error ? error.message : String(error) };
  }
  return status;
}

/** The bindings' result handle (DuckDBResult keeps it in a protected field); the addon checks its type tag. */
export function resultHandle(result: DuckDBResult): duckdb.Result {
  return (result as unknown as { result: duckdb.Result }).result;
}

/** The addon, when it loaded. */
export function nativeAddon(): NativeAddon | undefined {
  nativeConversionStatus();
  return addon;
}

/**
 * The ArrayBuffers a result's native batches are built on, held weakly. A consumer that has written a batch out (a
 * DoGet, once the bytes are on the socket) hands them back with `recycle`; they are then detached and their memory
 * is reused by the next batches. Without that, a 1M-row result leaves ~40 MB of ArrayBuffers to V8, whose external
 * memory accounting then runs about one major garbage collection per result (measured: 15 full collections in 16
 * transfers, 2 with recycling), and the blocks come back only after it.
 */
export class BatchMemory {
  private readonly ours = new WeakSet<ArrayBuffer>();

  constructor(private readonly native: NativeAddon | undefined) {}

  /** Records a buffer of a batch this result produced. */
  adopt(buffer: ArrayBuffer | null): void {
    if (buffer !== null) this.ours.add(buffer);
  }

  /**
   * Detaches the ArrayBuffers under `chunks` that this result produced (views of batches nothing reads any more);
   * other buffers are left alone. The batches built on them are unreadable afterwards.
   */
  recycle(chunks: readonly Uint8Array[]): void {
    if (this.native === undefined) return;
    const mine: ArrayBuffer[] = [];
    for (const chunk of chunks) {
      const buffer = chunk.buffer;
      if (buffer instanceof ArrayBuffer && this.ours.delete(buffer)) mine.push(buffer);
    }
    if (mine.length > 0) this.native.release(mine);
  }
}

enum PlanKind {
  Fixed = 0,
  Bool = 1,
  Decimal = 2,
  String = 3,
  List = 4,
  Struct = 5,
}

/** The pre-order plan the addon parses: [kind, param] per node; maps are lists of {key, value} structs. */
export function encodePlan(kinds: readonly NativeKind[]): Int32Array {
  const out: number[] = [];
  const encode = (kind: NativeKind): void => {
    switch (kind.kind) {
      case "fixed":
        out.push(PlanKind.Fixed, kind.width);
        return;
      case "bool":
        out.push(PlanKind.Bool, 0);
        return;
      case "decimal":
        out.push(PlanKind.Decimal, kind.width);
        return;
      case "string":
        out.push(PlanKind.String, 0);
        return;
      case "list":
        out.push(PlanKind.List, 0);
        encode(kind.child);
        return;
      case "map":
        out.push(PlanKind.List, 0, PlanKind.Struct, 2);
        encode(kind.key);
        encode(kind.value);
        return;
      case "struct":
        out.push(PlanKind.Struct, kind.fields.length);
        for (const field of kind.fields) encode(field.kind);
        return;
    }
  };
  for (const kind of kinds) encode(kind);
  return Int32Array.from(out);
}

/** Rebuilds apache-arrow Data from the addon's pre-order nodes (buffers are used in place, not copied). */
function dataOf(kind: NativeKind, type: DataType, nodes: NativeNode[], cursor: { at: number }): Data {
  const node = nodes[cursor.at++];
  if (node === undefined) throw new Error("the native batch has fewer nodes than its plan");
  const { length, nullCount } = node;
  const validity =
    nullCount > 0 && node.validity !== null ? { nullBitmap: new Uint8Array(node.validity), nullCount } : {};
  const bytes = (buffer: ArrayBuffer | null) => (buffer === null ? new Uint8Array(0) : new Uint8Array(buffer));
  const offsets = () => (node.offsets === null ? new Int32Array(1) : new Int32Array(node.offsets, 0, length + 1));
  switch (kind.kind) {
    case "fixed": {
      const ArrayType = type.ArrayType as new (buffer: ArrayBuffer, offset: number, length: number) => never;
      const data = new ArrayType(node.values ?? new ArrayBuffer(0), 0, node.values === null ? 0 : length);
      return makeData({ type, length, data, ...validity } as never);
    }
    case "bool":
      return makeData({ type: type as Bool, length, data: bytes(node.values), ...validity });
    case "decimal": {
      const data = node.values === null ? new Uint32Array(0) : new Uint32Array(node.values, 0, length * 4);
      return makeData({ type: type as Decimal, length, data, ...validity });
    }
    case "string":
      return type instanceof Binary
        ? makeData({ type, length, valueOffsets: offsets(), data: bytes(node.values), ...validity })
        : makeData({ type: type as Utf8, length, valueOffsets: offsets(), data: bytes(node.values), ...validity });
    case "list": {
      const list = type as List;
      const child = dataOf(kind.child, list.children[0]?.type as DataType, nodes, cursor);
      return makeData({ type: list, length, valueOffsets: offsets(), child, ...validity });
    }
    case "map": {
      const map = type as Map_;
      const entriesType = map.children[0]?.type as Struct;
      const entries = dataOf(
        {
          kind: "struct",
          fields: [
            { name: "key", kind: kind.key },
            { name: "value", kind: kind.value },
          ],
        },
        entriesType,
        nodes,
        cursor,
      );
      return makeData({ type: map, length, valueOffsets: offsets(), child: entries as never, ...validity });
    }
    case "struct": {
      const struct = type as Struct;
      const children = kind.fields.map((f, i) =>
        dataOf(f.kind, struct.children[i]?.type ?? arrowTypeOf(f.kind), nodes, cursor),
      );
      return makeData({ type: struct, length, children, ...validity });
    }
  }
}

/**
 * Streams a DuckDB result as Arrow RecordBatches through the addon: one batch per call, with the next call in
 * flight while the caller handles the current batch. `checkpoint` runs before every call. `interrupt` stops DuckDB's
 * work on the result; it is called when the consumer stops before the end, so that the pump's thread, which may be
 * inside a long fetch, ends at once.
 */
export async function* nativeResultBatches(
  native: NativeAddon,
  result: DuckDBResult,
  schema: Schema,
  kinds: readonly NativeKind[],
  checkpoint: () => void,
  limits: BatchLimits,
  memory?: BatchMemory,
  interrupt?: () => void,
): AsyncGenerator<RecordBatch> {
  const plan = encodePlan(kinds);
  // Set when the consumer stops: the call in flight returns at its next chunk instead of filling a whole batch.
  const cancel = new Int32Array(1);
  checkpoint();
  const pump = native.startPump(resultHandle(result), pumpCapacity(limits));
  const fetch = () => handled(native.fetchBatch(pump, plan, limits.maxRows, limits.maxBytes, cancel));
  let pending: Promise<NativeBatch | null> = Promise.resolve(null);
  let ended = false;
  try {
    pending = fetch();
    for (;;) {
      checkpoint();
      let batch: NativeBatch | null;
      try {
        batch = await pending;
      } catch (error) {
        // A result closed under the call in flight fails it: report the close (CANCELLED), not DuckDB's message.
        checkpoint();
        throw error;
      }
      if (batch === null) {
        ended = true;
        break;
      }
      ended = batch.done;
      pending = batch.done ? Promise.resolve(null) : fetch();
      // A call that ran out of time before any rows came (a slow query) returns empty: ask again.
      if (batch.rows === 0) continue;
      checkpoint();
      if (memory !== undefined) {
        for (const node of batch.nodes) {
          memory.adopt(node.validity);
          memory.adopt(node.values);
          memory.adopt(node.offsets);
        }
      }
      const cursor = { at: 0 };
      const children = schema.fields.map((field, i) => {
        const kind = kinds[i];
        if (kind === undefined) throw new Error("the plan has fewer columns than the schema");
        return dataOf(kind, field.type, batch.nodes, cursor);
      });
      const data = makeData({ type: new Struct(schema.fields), length: batch.rows, nullCount: 0, children });
      yield new RecordBatch(schema, data);
    }
  } finally {
    // Stop, then settle, the call still in flight, and end the pump's thread, before the caller closes the result
    // or runs another statement on its connection.
    if (!ended) interrupt?.();
    cancel[0] = 1;
    await pending.then(ignore, ignore);
    await native.stopPump(pump);
  }
}

const ignore = () => undefined;

/**
 * `call`, marked handled. A fetch stays in flight while the consumer holds the previous batch and fails when the
 * query is interrupted meanwhile (deadline, cancel, close); it is awaited only later, and without a handler Node
 * reports an unhandled rejection and exits.
 */
export function handled<T>(call: Promise<T>): Promise<T> {
  call.catch(ignore);
  return call;
}

/**
 * How many chunks the pump may queue ahead of the conversion: two batches' worth of rows. Chunks hold at most 2,048
 * rows, so this also bounds the pump's memory to about two batches of DuckDB vectors.
 */
function pumpCapacity(limits: BatchLimits): number {
  const perBatch = Number.isFinite(limits.maxRows) ? Math.ceil(limits.maxRows / 2048) : 64;
  return Math.max(4, Math.min(2 * perBatch, 128));
}
