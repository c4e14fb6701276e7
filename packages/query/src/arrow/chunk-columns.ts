import duckdb from "@duckdb/node-bindings";
import {
  Binary,
  Bool,
  BufferType,
  Data,
  type DataType,
  DateDay,
  Decimal,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  makeData,
  TimeMicrosecond,
  Timestamp,
  TimeUnit,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
} from "apache-arrow";

/**
 * Column builders that copy DuckDB vectors (the C API's raw buffers) into Arrow buffers in bulk: fixed-width values
 * and validity bits are copied as byte ranges, strings as bytes without decoding to JS strings. This is the whole
 * cost of turning a DuckDB result into Arrow, so it avoids per-value JS objects wherever the layouts agree.
 */
export interface ColumnBuilder {
  readonly type: DataType;
  /** Appends `rows` values of a vector (a `duckdb_vector` of the chunk being read). */
  append(vector: duckdb.Vector, rows: number): void;
  /** Bytes held so far (to cut batches by size). */
  readonly byteLength: number;
  /** The values appended since the last flush, as Arrow data; the builder starts empty again. */
  flush(): Data;
}

/** DuckDB's physical layouts we copy natively, by DUCKDB_TYPE id (duckdb.h). */
export type NativeKind =
  | { kind: "fixed"; type: DataType; width: number }
  | { kind: "bool" }
  | { kind: "decimal"; precision: number; scale: number; width: number }
  | { kind: "string"; binary: boolean };

/** The builder for a native kind, sized for `capacity` rows per batch. */
export function createColumnBuilder(native: NativeKind, capacity: number): ColumnBuilder {
  switch (native.kind) {
    case "fixed":
      return new FixedWidthBuilder(native.type, native.width, capacity);
    case "bool":
      return new BoolBuilder(capacity);
    case "decimal":
      return new DecimalBuilder(native.precision, native.scale, native.width, capacity);
    case "string":
      return new StringBuilder(native.binary, capacity);
  }
}

/** Arrow type and width for DuckDB's fixed-width type ids (same byte layout on both sides). */
export function fixedWidthKind(typeId: number): NativeKind | undefined {
  const T = duckdb.Type;
  const fixed = (type: DataType, width: number): NativeKind => ({ kind: "fixed", type, width });
  switch (typeId) {
    case T.TINYINT:
      return fixed(new Int8(), 1);
    case T.SMALLINT:
      return fixed(new Int16(), 2);
    case T.INTEGER:
      return fixed(new Int32(), 4);
    case T.BIGINT:
      return fixed(new Int64(), 8);
    case T.UTINYINT:
      return fixed(new Uint8(), 1);
    case T.USMALLINT:
      return fixed(new Uint16(), 2);
    case T.UINTEGER:
      return fixed(new Uint32(), 4);
    case T.UBIGINT:
      return fixed(new Uint64(), 8);
    case T.FLOAT:
      return fixed(new Float32(), 4);
    case T.DOUBLE:
      return fixed(new Float64(), 8);
    case T.DATE:
      return fixed(new DateDay(), 4);
    case T.TIME:
      return fixed(new TimeMicrosecond(), 8);
    case T.TIMESTAMP:
      return fixed(new Timestamp(TimeUnit.MICROSECOND), 8);
    case T.TIMESTAMP_TZ:
      return fixed(new Timestamp(TimeUnit.MICROSECOND, "UTC"), 8);
    case T.TIMESTAMP_S:
      return fixed(new Timestamp(TimeUnit.SECOND), 8);
    case T.TIMESTAMP_MS:
      return fixed(new Timestamp(TimeUnit.MILLISECOND), 8);
    case T.TIMESTAMP_NS:
      return fixed(new Timestamp(TimeUnit.NANOSECOND), 8);
    case T.HUGEINT:
      // DuckDB exports HUGEINT to Arrow as decimal128(38, 0); both are little-endian two's complement int128.
      return { kind: "decimal", precision: 38, scale: 0, width: 16 };
    case T.BOOLEAN:
      return { kind: "bool" };
    case T.VARCHAR:
      return { kind: "string", binary: false };
    case T.BLOB:
      return { kind: "string", binary: true };
    default:
      return undefined;
  }
}

/** Validity bits: DuckDB's uint64 words are LSB-first like Arrow's bitmap, so aligned runs copy as bytes. */
class ValidityBuilder {
  bits: Uint8Array | null = null;
  nullCount = 0;
  constructor(private readonly capacity: number) {}

  append(vector: duckdb.Vector, at: number, rows: number): void {
    const words = Math.ceil(rows / 64);
    const src = duckdb.vector_get_validity(vector, words * 8);
    if (src === null || src === undefined) {
      if (this.bits !== null) setBits(this.bits, at, rows);
      return;
    }
    let nulls = 0;
    const fullBytes = rows >> 3;
    for (let b = 0; b < fullBytes; b++) {
      const byte = src[b] ?? 0;
      if (byte !== 0xff) for (let k = 0; k < 8; k++) if ((byte & (1 << k)) === 0) nulls++;
    }
    for (let i = fullBytes << 3; i < rows; i++) if (((src[i >> 3] ?? 0) & (1 << (i & 7))) === 0) nulls++;
    if (nulls === 0) {
      if (this.bits !== null) setBits(this.bits, at, rows);
      return;
    }
    if (this.bits === null) {
      this.bits = new Uint8Array(Math.ceil(this.capacity / 8) + 8);
      setBits(this.bits, 0, at);
    }
    this.nullCount += nulls;
    if ((at & 7) === 0) {
      const full = rows >> 3;
      this.bits.set(src.subarray(0, full), at >> 3);
      for (let i = full << 3; i < rows; i++) if ((src[i >> 3] ?? 0) & (1 << (i & 7))) setBit(this.bits, at + i);
    } else {
      for (let i = 0; i < rows; i++) if ((src[i >> 3] ?? 0) & (1 << (i & 7))) setBit(this.bits, at + i);
    }
  }

  isValid(src: Uint8Array | null, i: number): boolean {
    return src === null || ((src[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }

  /** The bitmap so far (empty when nothing is null, which Arrow reads as all valid); starts over. */
  take(length: number): { nullBitmap: Uint8Array; nullCount: number } {
    const out =
      this.bits === null
        ? { nullBitmap: new Uint8Array(0), nullCount: 0 }
        : { nullBitmap: this.bits.slice(0, Math.ceil(length / 8)), nullCount: this.nullCount };
    this.bits = null;
    this.nullCount = 0;
    return out;
  }
}

function setBit(bits: Uint8Array, i: number): void {
  bits[i >> 3] = (bits[i >> 3] ?? 0) | (1 << (i & 7));
}

function setBits(bits: Uint8Array, from: number, count: number): void {
  let i = from;
  const end = from + count;
  while (i < end && (i & 7) !== 0) setBit(bits, i++);
  const wholeBytes = (end - i) >> 3;
  if (wholeBytes > 0) {
    bits.fill(0xff, i >> 3, (i >> 3) + wholeBytes);
    i += wholeBytes << 3;
  }
  while (i < end) setBit(bits, i++);
}

class FixedWidthBuilder implements ColumnBuilder {
  private values: Uint8Array;
  private length = 0;
  private readonly validity: ValidityBuilder;
  constructor(
    readonly type: DataType,
    private readonly width: number,
    private readonly capacity: number,
  ) {
    this.values = new Uint8Array(capacity * width);
    this.validity = new ValidityBuilder(capacity);
  }
  get byteLength(): number {
    return this.length * this.width;
  }
  append(vector: duckdb.Vector, rows: number): void {
    const bytes = rows * this.width;
    this.values.set(duckdb.vector_get_data(vector, bytes), this.length * this.width);
    this.validity.append(vector, this.length, rows);
    this.length += rows;
  }
  flush(): Data {
    const { length, type } = this;
    const validity = this.validity.take(length);
    const buffer = this.values.buffer;
    this.values = new Uint8Array(this.capacity * this.width);
    this.length = 0;
    // Every fixed-width Arrow type here has one array element per value (Int64 and timestamps: BigInt64Array).
    const data = new type.ArrayType(buffer, 0, length);
    return new Data(type, 0, length, validity.nullCount, {
      [BufferType.DATA]: data,
      [BufferType.VALIDITY]: validity.nullBitmap,
    });
  }
}

class BoolBuilder implements ColumnBuilder {
  readonly type = new Bool();
  private values: Uint8Array;
  private length = 0;
  private readonly validity: ValidityBuilder;
  constructor(capacity: number) {
    this.values = new Uint8Array(Math.ceil(capacity / 8) + 8);
    this.validity = new ValidityBuilder(capacity);
  }
  get byteLength(): number {
    return this.length >> 3;
  }
  append(vector: duckdb.Vector, rows: number): void {
    const src = duckdb.vector_get_data(vector, rows);
    for (let i = 0; i < rows; i++) if (src[i] !== 0) setBit(this.values, this.length + i);
    this.validity.append(vector, this.length, rows);
    this.length += rows;
  }
  flush(): Data {
    const length = this.length;
    const validity = this.validity.take(length);
    const data = this.values.slice(0, Math.ceil(length / 8));
    this.values.fill(0);
    this.length = 0;
    return makeData({ type: this.type, length, data, ...validity });
  }
}

class DecimalBuilder implements ColumnBuilder {
  readonly type: Decimal;
  private values: Int32Array;
  private length = 0;
  private readonly validity: ValidityBuilder;
  constructor(
    precision: number,
    scale: number,
    private readonly width: number,
    private readonly capacity: number,
  ) {
    this.type = new Decimal(scale, precision, 128);
    this.values = new Int32Array(capacity * 4);
    this.validity = new ValidityBuilder(capacity);
  }
  get byteLength(): number {
    return this.length * 16;
  }
  append(vector: duckdb.Vector, rows: number): void {
    const raw = duckdb.vector_get_data(vector, rows * this.width);
    const out = this.values;
    const base = this.length * 4;
    if (this.width === 16) {
      out.set(new Int32Array(raw.slice(0, rows * 16).buffer), base);
    } else {
      // Sign-extend DuckDB's int16 / int32 / int64 storage to Arrow's 128-bit decimal.
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < rows; i++) {
        let lo: number;
        let hi: number;
        if (this.width === 8) {
          lo = view.getInt32(i * 8, true);
          hi = view.getInt32(i * 8 + 4, true);
        } else {
          lo = this.width === 4 ? view.getInt32(i * 4, true) : view.getInt16(i * 2, true);
          hi = lo < 0 ? -1 : 0;
        }
        const sign = hi < 0 ? -1 : 0;
        const o = base + i * 4;
        out[o] = lo;
        out[o + 1] = hi;
        out[o + 2] = sign;
        out[o + 3] = sign;
      }
    }
    this.validity.append(vector, this.length, rows);
    this.length += rows;
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
  readonly type: Utf8 | Binary;
  private offsets: Int32Array;
  private bytes: Uint8Array;
  private used = 0;
  private length = 0;
  private readonly validity: ValidityBuilder;
  constructor(binary: boolean, capacity: number) {
    this.type = binary ? new Binary() : new Utf8();
    this.offsets = new Int32Array(capacity + 1);
    this.bytes = new Uint8Array(1 << 16);
    this.validity = new ValidityBuilder(capacity);
  }
  get byteLength(): number {
    return this.used + this.length * 4;
  }
  append(vector: duckdb.Vector, rows: number): void {
    // duckdb_string_t: 16 bytes, uint32 length, then either 12 inline bytes or a 4-byte prefix and a pointer.
    const raw = duckdb.vector_get_data(vector, rows * 16);
    const words = Math.ceil(rows / 64);
    const validity = duckdb.vector_get_validity(vector, words * 8) ?? null;
    const buffer = raw.buffer;
    if (!(buffer instanceof ArrayBuffer)) throw new TypeError("DuckDB vector data is not an ArrayBuffer.");
    const view = new DataView(buffer, raw.byteOffset, raw.byteLength);
    const offsets = this.offsets;
    let out = this.bytes;
    let used = this.used;
    for (let i = 0; i < rows; i++) {
      if (validity === null || ((validity[i >> 3] ?? 0) & (1 << (i & 7))) !== 0) {
        const base = i * 16;
        const len = view.getUint32(base, true);
        if (used + len > out.length) {
          this.grow(used, used + len);
          out = this.bytes;
        }
        if (len <= 12) {
          // Inlined strings: a byte loop beats creating a view per value (measured: the view was the top cost).
          for (let k = 0; k < len; k++) out[used + k] = raw[base + 4 + k] ?? 0;
        } else {
          out.set(duckdb.get_data_from_pointer(buffer, raw.byteOffset + base + 8, len), used);
        }
        used += len;
      }
      offsets[this.length + i + 1] = used;
    }
    this.used = used;
    this.validity.append(vector, this.length, rows);
    this.length += rows;
  }
  private grow(used: number, min: number): void {
    let size = this.bytes.length * 2;
    while (size < min) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, used));
    this.bytes = next;
  }
  flush(): Data {
    const length = this.length;
    const validity = this.validity.take(length);
    const valueOffsets = this.offsets.slice(0, length + 1);
    const data = this.bytes.slice(0, this.used);
    this.used = 0;
    this.length = 0;
    this.offsets[0] = 0;
    return makeData({ type: this.type, length, valueOffsets, data, ...validity } as Parameters<typeof makeData>[0]);
  }
}
