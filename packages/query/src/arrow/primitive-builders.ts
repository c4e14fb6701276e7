import duckdb from "@duckdb/node-bindings";
import { BufferType, Data, type DataType, Decimal, makeData } from "apache-arrow";
import type { ColumnBuilder } from "./column-builders.js";
import { arrowTypeOf, type NativeKind } from "./native-kinds.js";
import { setBit, ValidityBits } from "./validity-bits.js";

/** A byte buffer that doubles when full, keeping what it holds. */
function grown(buffer: Uint8Array, used: number, needed: number): Uint8Array {
  if (needed <= buffer.length) return buffer;
  let size = Math.max(buffer.length * 2, 64);
  while (size < needed) size *= 2;
  const next = new Uint8Array(size);
  next.set(buffer.subarray(0, used));
  return next;
}

/**
 * Rows to allocate for a builder's next batch: nothing until the first append (a small result, or the end of the
 * stream, costs no batch-sized buffer); the first batch grows from its first chunk; later ones start at the size
 * of the batch before (batches are cut at the same limits), plus one chunk, at most `capacity`.
 */
function rowsToAllocate(lastBatchRows: number, appending: number, capacity: number): number {
  return Math.max(appending, lastBatchRows === 0 ? 0 : Math.min(capacity, lastBatchRows + 2048));
}

/** Fixed-width values whose byte layout DuckDB and Arrow share: copied as byte ranges. */
export class FixedWidthBuilder implements ColumnBuilder {
  private values: Uint8Array = new Uint8Array(0);
  private lastBatchRows = 0;
  length = 0;
  private readonly validity = new ValidityBits();
  constructor(
    readonly type: DataType,
    private readonly width: number,
    private readonly capacity: number,
  ) {}
  get byteLength(): number {
    return this.length * this.width;
  }
  appendRange(vector: duckdb.Vector, start: number, count: number): void {
    const w = this.width;
    const data = duckdb.vector_get_data(vector, (start + count) * w);
    if (this.values.length === 0) {
      this.values = new Uint8Array(rowsToAllocate(this.lastBatchRows, count, this.capacity) * w);
    }
    this.values = grown(this.values, this.length * w, (this.length + count) * w);
    this.values.set(data.subarray(start * w, (start + count) * w), this.length * w);
    this.validity.append(ValidityBits.mask(vector, start + count), this.length, start, count);
    this.length += count;
  }
  flush(): Data {
    const { length, type } = this;
    const validity = this.validity.take(length);
    // Every fixed-width Arrow type here has one array element per value (Int64 and timestamps: BigInt64Array).
    // Hand the buffer over (no copy); the next batch's buffer is allocated on its first append.
    const buffer = this.values.buffer;
    this.values = new Uint8Array(0);
    if (length > 0) this.lastBatchRows = length;
    this.length = 0;
    const data = new type.ArrayType(buffer, 0, length);
    return new Data(type, 0, length, validity.nullCount, {
      [BufferType.DATA]: data,
      [BufferType.VALIDITY]: validity.nullBitmap,
    });
  }
}

/** Booleans: one byte per value in DuckDB, one bit in Arrow. */
export class BoolBuilder implements ColumnBuilder {
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

/** Decimals: DuckDB's 2/4/8/16-byte storage sign-extended to Arrow's decimal128. */
export class DecimalBuilder implements ColumnBuilder {
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

/** VARCHAR and BLOB: duckdb_string_t values copied as bytes with int32 offsets. */
export class StringBuilder implements ColumnBuilder {
  readonly type: DataType;
  private offsets: Int32Array;
  private bytes: Uint8Array;
  private bytesView: DataView;
  private used = 0;
  length = 0;
  private readonly validity = new ValidityBits();
  private lastBatchRows = 0;
  private lastBatchBytes = 0;
  constructor(
    kind: Extract<NativeKind, { kind: "string" }>,
    private readonly capacity: number,
  ) {
    this.type = arrowTypeOf(kind);
    this.offsets = new Int32Array(1);
    this.bytes = new Uint8Array(0);
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
    if (this.length === 0 && this.bytes.length === 0) {
      // The first append of a batch: buffers sized like the batch before (see rowsToAllocate).
      this.offsets = new Int32Array(rowsToAllocate(this.lastBatchRows, count, this.capacity) + 1);
      this.bytes = new Uint8Array(Math.max(1 << 16, this.lastBatchBytes + 12));
      this.bytesView = new DataView(this.bytes.buffer);
    }
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
    // Hand the buffers over (no copy); the next batch's buffers are allocated on its first append, sized like this
    // batch.
    const valueOffsets = this.offsets.subarray(0, length + 1);
    const data = this.bytes.subarray(0, this.used);
    if (length > 0) {
      this.lastBatchRows = length;
      this.lastBatchBytes = this.used;
    }
    this.offsets = new Int32Array(1);
    this.bytes = new Uint8Array(0);
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
