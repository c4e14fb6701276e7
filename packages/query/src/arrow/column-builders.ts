import duckdb from "@duckdb/node-bindings";
import { BufferType, Data, type DataType, Decimal, Field, List, Map_, makeData, Struct } from "apache-arrow";
import { arrowTypeOf, type NativeKind } from "./native-kinds.js";
import { setBit, ValidityBits } from "./validity-bits.js";

/**
 * Column builders that copy DuckDB vectors (the C API's raw buffers) into Arrow buffers in bulk: fixed-width values
 * and validity bits are copied as byte ranges, strings as bytes without decoding to JS strings, lists and structs
 * through their child vectors. This is the whole cost of turning a DuckDB result into Arrow, so it avoids
 * per-value JS objects wherever the layouts agree.
 */
export interface ColumnBuilder {
  readonly type: DataType;
  /** Rows appended since the last flush. */
  readonly length: number;
  /** Bytes held so far (to cut batches by size). */
  readonly byteLength: number;
  /** Appends rows [start, start + count) of a `duckdb_vector`. */
  appendRange(vector: duckdb.Vector, start: number, count: number): void;
  /** The rows appended since the last flush, as Arrow data; the builder starts empty again. */
  flush(): Data;
}

/** The builder for a native kind, sized for about `capacity` rows per batch (it grows when needed). */
export function createColumnBuilder(kind: NativeKind, capacity: number): ColumnBuilder {
  switch (kind.kind) {
    case "fixed":
      return new FixedWidthBuilder(kind.type, kind.width, capacity);
    case "bool":
      return new BoolBuilder(capacity);
    case "decimal":
      return new DecimalBuilder(kind, capacity);
    case "string":
      return new StringBuilder(kind, capacity);
    case "list":
    case "map":
      return new ListBuilder(kind, capacity);
    case "struct":
      return new StructBuilder(kind, capacity);
  }
}

/** A byte buffer that doubles when full, keeping what it holds. */
function grown(buffer: Uint8Array, used: number, needed: number): Uint8Array {
  if (needed <= buffer.length) return buffer;
  let size = Math.max(buffer.length * 2, 64);
  while (size < needed) size *= 2;
  const next = new Uint8Array(size);
  next.set(buffer.subarray(0, used));
  return next;
}

class FixedWidthBuilder implements ColumnBuilder {
  private values: Uint8Array;
  length = 0;
  private readonly validity = new ValidityBits();
  constructor(
    readonly type: DataType,
    private readonly width: number,
    private readonly capacity: number,
  ) {
    this.values = new Uint8Array(capacity * width);
  }
  get byteLength(): number {
    return this.length * this.width;
  }
  appendRange(vector: duckdb.Vector, start: number, count: number): void {
    const w = this.width;
    const data = duckdb.vector_get_data(vector, (start + count) * w);
    this.values = grown(this.values, this.length * w, (this.length + count) * w);
    this.values.set(data.subarray(start * w, (start + count) * w), this.length * w);
    this.validity.append(ValidityBits.mask(vector, start + count), this.length, start, count);
    this.length += count;
  }
  flush(): Data {
    const { length, type } = this;
    const validity = this.validity.take(length);
    // Every fixed-width Arrow type here has one array element per value (Int64 and timestamps: BigInt64Array).
    // Hand the buffer over (no copy) and start a fresh one.
    const buffer = this.values.buffer;
    this.values = new Uint8Array(this.capacity * this.width);
    this.length = 0;
    const data = new type.ArrayType(buffer, 0, length);
    return new Data(type, 0, length, validity.nullCount, {
      [BufferType.DATA]: data,
      [BufferType.VALIDITY]: validity.nullBitmap,
    });
  }
}

class BoolBuilder implements ColumnBuilder {
  readonly type = arrowTypeOf({ kind: "bool" });
  private values: Uint8Array;
  length = 0;
  private readonly validity = new ValidityBits();
  constructor(capacity: number) {
    this.values = new Uint8Array(Math.ceil(capacity / 8) + 8);
  }
  get byteLength(): number {
    return this.length >> 3;
  }
  appendRange(vector: duckdb.Vector, start: number, count: number): void {
    const src = duckdb.vector_get_data(vector, start + count);
    this.values = grown(this.values, Math.ceil(this.length / 8), Math.ceil((this.length + count) / 8) + 8);
    for (let i = 0; i < count; i++) if (src[start + i] !== 0) setBit(this.values, this.length + i);
    this.validity.append(ValidityBits.mask(vector, start + count), this.length, start, count);
    this.length += count;
  }
  flush(): Data {
    const length = this.length;
    const validity = this.validity.take(length);
    const data = this.values.slice(0, Math.ceil(length / 8));
    this.values.fill(0);
    this.length = 0;
    return new Data(this.type, 0, length, validity.nullCount, {
      [BufferType.DATA]: data,
      [BufferType.VALIDITY]: validity.nullBitmap,
    });
  }
}

class DecimalBuilder implements ColumnBuilder {
  readonly type: Decimal;
  private values: Int32Array;
  private readonly width: number;
  length = 0;
  private readonly validity = new ValidityBits();
  constructor(
    kind: Extract<NativeKind, { kind: "decimal" }>,
    private readonly capacity: number,
  ) {
    this.type = new Decimal(kind.scale, kind.precision, 128);
    this.width = kind.width;
    this.values = new Int32Array(capacity * 4);
  }
  get byteLength(): number {
    return this.length * 16;
  }
  appendRange(vector: duckdb.Vector, start: number, count: number): void {
    const raw = duckdb.vector_get_data(vector, (start + count) * this.width);
    if (this.values.length < (this.length + count) * 4) {
      const next = new Int32Array(Math.max(this.values.length * 2, (this.length + count) * 4));
      next.set(this.values.subarray(0, this.length * 4));
      this.values = next;
    }
    const out = this.values;
    const base = this.length * 4;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    // Sign-extend DuckDB's int16 / int32 / int64 storage to Arrow's 128-bit decimal (int128 copies as is).
    for (let i = 0; i < count; i++) {
      const at = (start + i) * this.width;
      const o = base + i * 4;
      if (this.width === 16) {
        out[o] = view.getInt32(at, true);
        out[o + 1] = view.getInt32(at + 4, true);
        out[o + 2] = view.getInt32(at + 8, true);
        out[o + 3] = view.getInt32(at + 12, true);
        continue;
      }
      let lo: number;
      let hi: number;
      if (this.width === 8) {
        lo = view.getInt32(at, true);
        hi = view.getInt32(at + 4, true);
      } else {
        lo = this.width === 4 ? view.getInt32(at, true) : view.getInt16(at, true);
        hi = lo < 0 ? -1 : 0;
      }
      const sign = hi < 0 ? -1 : 0;
      out[o] = lo;
      out[o + 1] = hi;
      out[o + 2] = sign;
      out[o + 3] = sign;
    }
    this.validity.append(ValidityBits.mask(vector, start + count), this.length, start, count);
    this.length += count;
  }
  flush(): Data {
    const length = this.length;
    const validity = this.validity.take(length);
    const data = new Uint32Array(this.values.buffer, 0, length * 4);
    this.values = new Int32Array(this.capacity * 4);
    this.length = 0;
    return makeData({ type: this.type, length, data, ...validity });
  }
}

class StringBuilder implements ColumnBuilder {
  readonly type: DataType;
  private offsets: Int32Array;
  private bytes: Uint8Array;
  private bytesView: DataView;
  private used = 0;
  length = 0;
  private readonly validity = new ValidityBits();
  constructor(kind: Extract<NativeKind, { kind: "string" }>, capacity: number) {
    this.type = arrowTypeOf(kind);
    this.offsets = new Int32Array(capacity + 1);
    this.bytes = new Uint8Array(1 << 16);
    this.bytesView = new DataView(this.bytes.buffer);
  }
  get byteLength(): number {
    return this.used + this.length * 4;
  }
  appendRange(vector: duckdb.Vector, start: number, count: number): void {
    // duckdb_string_t: 16 bytes, uint32 length, then either 12 inline bytes or a 4-byte prefix and a pointer.
    const raw = duckdb.vector_get_data(vector, (start + count) * 16);
    const mask = ValidityBits.mask(vector, start + count);
    const buffer = raw.buffer;
    if (!(buffer instanceof ArrayBuffer)) throw new TypeError("DuckDB vector data is not an ArrayBuffer.");
    const view = new DataView(buffer, raw.byteOffset, raw.byteLength);
    if (this.offsets.length < this.length + count + 1) {
      const next = new Int32Array(Math.max(this.offsets.length * 2, this.length + count + 1));
      next.set(this.offsets.subarray(0, this.length + 1));
      this.offsets = next;
    }
    const offsets = this.offsets;
    const base = this.length + 1;
    let used = this.used;
    // Inlined strings (<= 12 bytes) are copied as three 32-bit words into a buffer with 12 bytes of slack: the
    // bytes past the string's end are overwritten by the next one. Per-byte loops or a view per value cost 3-10x.
    let out = this.bytes;
    let outView = this.bytesView;
    for (let i = 0; i < count; i++) {
      const row = start + i;
      if (mask === null || ((mask[row >> 3] ?? 0) & (1 << (row & 7))) !== 0) {
        const at = row * 16;
        const len = view.getUint32(at, true);
        if (used + len + 12 > out.length) {
          out = grown(out, used, used + len + 12);
          outView = new DataView(out.buffer);
          this.bytes = out;
          this.bytesView = outView;
        }
        if (len <= 12) {
          outView.setUint32(used, view.getUint32(at + 4, true), true);
          outView.setUint32(used + 4, view.getUint32(at + 8, true), true);
          outView.setUint32(used + 8, view.getUint32(at + 12, true), true);
        } else {
          out.set(duckdb.get_data_from_pointer(buffer, raw.byteOffset + at + 8, len), used);
        }
        used += len;
      }
      offsets[base + i] = used;
    }
    this.used = used;
    this.validity.append(mask, this.length, start, count);
    this.length += count;
  }
  flush(): Data {
    const length = this.length;
    const validity = this.validity.take(length);
    // Hand the buffers over (no copy) and start fresh ones, sized like the batch just cut.
    const valueOffsets = this.offsets.subarray(0, length + 1);
    const data = this.bytes.subarray(0, this.used);
    this.offsets = new Int32Array(this.offsets.length);
    this.bytes = new Uint8Array(Math.max(1 << 16, this.used + 12));
    this.bytesView = new DataView(this.bytes.buffer);
    this.used = 0;
    this.length = 0;
    return new Data(this.type, 0, length, validity.nullCount, {
      [BufferType.OFFSET]: valueOffsets,
      [BufferType.DATA]: data,
      [BufferType.VALIDITY]: validity.nullBitmap,
    });
  }
}

/** LIST and MAP (a list of key/value structs in both DuckDB and Arrow): offsets here, values in the child. */
class ListBuilder implements ColumnBuilder {
  readonly type: List | Map_;
  private readonly child: ColumnBuilder;
  private offsets: Int32Array;
  length = 0;
  private readonly validity = new ValidityBits();
  constructor(kind: Extract<NativeKind, { kind: "list" | "map" }>, capacity: number) {
    if (kind.kind === "list") {
      this.type = new List(new Field("item", arrowTypeOf(kind.child), true));
      this.child = createColumnBuilder(kind.child, capacity);
    } else {
      const entries = new Struct([
        new Field("key", arrowTypeOf(kind.key), false),
        new Field("value", arrowTypeOf(kind.value), true),
      ]);
      this.type = new Map_(new Field("entries", entries, false));
      const fields = [
        { name: "key", kind: kind.key },
        { name: "value", kind: kind.value },
      ];
      this.child = createColumnBuilder({ kind: "struct", fields }, capacity);
    }
    this.offsets = new Int32Array(capacity + 1);
  }
  get byteLength(): number {
    return this.length * 4 + this.child.byteLength;
  }
  appendRange(vector: duckdb.Vector, start: number, count: number): void {
    // duckdb_list_entry: { uint64 offset, uint64 length } per row, into the list's child vector.
    const raw = duckdb.vector_get_data(vector, (start + count) * 16);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const mask = ValidityBits.mask(vector, start + count);
    const childVector = duckdb.list_vector_get_child(vector);
    if (this.offsets.length < this.length + count + 1) {
      const next = new Int32Array(Math.max(this.offsets.length * 2, this.length + count + 1));
      next.set(this.offsets.subarray(0, this.length + 1));
      this.offsets = next;
    }
    let cursor = this.offsets[this.length] ?? 0;
    // Consecutive entries that are adjacent in the child vector are copied as one range (the usual case).
    let runStart = 0;
    let runLength = 0;
    for (let i = 0; i < count; i++) {
      const row = start + i;
      if (ValidityBits.valid(mask, row)) {
        const offset = view.getUint32(row * 16, true) + view.getUint32(row * 16 + 4, true) * 2 ** 32;
        const size = view.getUint32(row * 16 + 8, true) + view.getUint32(row * 16 + 12, true) * 2 ** 32;
        if (runLength > 0 && offset !== runStart + runLength) {
          this.child.appendRange(childVector, runStart, runLength);
          runLength = 0;
        }
        if (runLength === 0) runStart = offset;
        runLength += size;
        cursor += size;
      }
      this.offsets[this.length + i + 1] = cursor;
    }
    if (runLength > 0) this.child.appendRange(childVector, runStart, runLength);
    this.validity.append(mask, this.length, start, count);
    this.length += count;
  }
  flush(): Data {
    const length = this.length;
    const validity = this.validity.take(length);
    const valueOffsets = this.offsets.slice(0, length + 1);
    this.offsets[0] = 0;
    this.length = 0;
    const child = this.child.flush();
    const type = this.type;
    return type instanceof List
      ? makeData({ type, length, valueOffsets, child, ...validity })
      : makeData({ type, length, valueOffsets, child, ...validity });
  }
}

class StructBuilder implements ColumnBuilder {
  readonly type: Struct;
  private readonly children: ColumnBuilder[];
  length = 0;
  private readonly validity = new ValidityBits();
  constructor(kind: Extract<NativeKind, { kind: "struct" }>, capacity: number) {
    this.type = new Struct(kind.fields.map((f) => new Field(f.name, arrowTypeOf(f.kind), true)));
    this.children = kind.fields.map((f) => createColumnBuilder(f.kind, capacity));
  }
  get byteLength(): number {
    return this.children.reduce((sum, c) => sum + c.byteLength, 0);
  }
  appendRange(vector: duckdb.Vector, start: number, count: number): void {
    this.children.forEach((child, i) => {
      child.appendRange(duckdb.struct_vector_get_child(vector, i), start, count);
    });
    this.validity.append(ValidityBits.mask(vector, start + count), this.length, start, count);
    this.length += count;
  }
  flush(): Data {
    const length = this.length;
    const validity = this.validity.take(length);
    this.length = 0;
    const children = this.children.map((c) => c.flush());
    return makeData({ type: this.type, length, children, ...validity });
  }
}
