import duckdb from "@duckdb/node-bindings";
import { type Data, type DataType, Field, List, Map_, makeData, Struct } from "apache-arrow";
import { arrowTypeOf, type NativeKind } from "./native-kinds.js";
import { BoolBuilder, DecimalBuilder, FixedWidthBuilder, StringBuilder } from "./primitive-builders.js";
import { ValidityBits } from "./validity-bits.js";

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
