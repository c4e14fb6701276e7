import { InvalidArgumentError } from "@mlfusion/core";
import {
  type DataType as ArrowDataType,
  BufferType,
  Data,
  DataType,
  type Field,
  makeBuilder,
  makeData,
  RecordBatch,
  type Schema,
  Struct,
  TimeUnit,
  util,
  vectorFromArray,
} from "apache-arrow";

// Casts user Arrow data to the physical Arrow types of the Delta schema (toArrowSchema(schema,
// { applyArrowTypeHints: false })), so the Parquet files hold only types every Delta engine reads. Only the
// nodes whose type differs are rebuilt; everything else is relabelled with the target type and shares buffers.

/**
 * Returns `batch` with its columns in the order of `target` and cast to its types. `batch` must have a column
 * for every field of `target` (callers add null columns first).
 */
export function castBatchToPhysical(batch: RecordBatch, target: Schema): RecordBatch {
  const children = target.fields.map((field) => {
    const index = batch.schema.fields.findIndex((f) => f.name === field.name);
    const column = index < 0 ? null : batch.getChildAt(index);
    if (column === null) {
      // Schema enforcement has checked that a missing column is nullable: it is written as nulls.
      if (field.nullable) return nullData(field.type, batch.numRows);
      throw new InvalidArgumentError(`The input has no column ${JSON.stringify(field.name)}; add it and retry.`);
    }
    const data = column.data[0];
    if (data === undefined) throw new InvalidArgumentError(`Column ${field.name} has no data.`);
    const cast = castData(data, field.type, field.name);
    if (!field.nullable && cast.nullCount > 0) {
      throw new InvalidArgumentError(
        `Column ${JSON.stringify(field.name)} is declared NOT NULL but the input has ${cast.nullCount} null values; remove them and retry.`,
      );
    }
    return cast;
  });
  const struct = makeData({
    type: new Struct(target.fields),
    length: batch.numRows,
    nullCount: 0,
    children,
  });
  return new RecordBatch(target, struct);
}

/** A column of `length` nulls. */
function nullData(type: ArrowDataType, length: number): Data {
  return vectorFromArray(new Array<null>(length).fill(null), type).data[0] ?? buildData(type, 0, 0, {});
}

/** True when data of type `source` can be written as `target` without rebuilding buffers. */
function sameLayout(source: ArrowDataType, target: ArrowDataType): boolean {
  if (source.typeId !== target.typeId) return false;
  if (DataType.isTimestamp(source) && DataType.isTimestamp(target)) return source.unit === target.unit;
  if (DataType.isInt(source) && DataType.isInt(target)) {
    return source.bitWidth === target.bitWidth && source.isSigned === target.isSigned;
  }
  if (DataType.isFloat(source) && DataType.isFloat(target)) return source.precision === target.precision;
  if (DataType.isDate(source) && DataType.isDate(target)) return source.unit === target.unit;
  return true;
}

function castData(data: Data, target: ArrowDataType, column: string): Data {
  const source = data.type;
  if (DataType.isDictionary(source)) return castData(decodeDictionary(data, column), target, column);
  if (DataType.isStruct(target)) {
    if (!DataType.isStruct(source)) throw mismatch(column, source, target);
    const children = target.children.map((field: Field) => {
      const i = source.children.findIndex((f: Field) => f.name === field.name);
      const child = i < 0 ? undefined : data.children[i];
      if (child === undefined) throw mismatch(`${column}.${field.name}`, source, target);
      return castData(child, field.type, `${column}.${field.name}`);
    });
    return buildData(target, data.length, data.nullCount, { validity: data.nullBitmap }, children, data.offset);
  }
  if (DataType.isList(target) || DataType.isMap(target)) {
    const targetChild = target.children[0];
    const sourceChild = data.children[0];
    if (
      targetChild === undefined ||
      sourceChild === undefined ||
      !(DataType.isList(source) || DataType.isMap(source))
    ) {
      throw mismatch(column, source, target);
    }
    const child = castData(sourceChild, targetChild.type, `${column}.element`);
    const buffers = { validity: data.nullBitmap, offsets: data.valueOffsets };
    return buildData(target, data.length, data.nullCount, buffers, [child], data.offset);
  }
  if (sameLayout(source, target)) {
    const buffers = { validity: data.nullBitmap, offsets: data.valueOffsets, values: data.values };
    return buildData(target, data.length, data.nullCount, buffers, [], data.offset);
  }
  return castLeaf(data, target, column);
}

/** Rebuilds a primitive column whose physical layout changes (unsigned widening, units, large offsets). */
function castLeaf(data: Data, target: ArrowDataType, column: string): Data {
  const source = data.type;
  const n = data.length;
  const o = data.offset;
  const nullBitmap = data.nullCount > 0 ? util.truncateBitmap(o, n, data.nullBitmap) : undefined;
  const leaf = (buffers: { values: unknown; offsets?: Int32Array }): Data =>
    buildData(target, n, data.nullCount, { validity: nullBitmap, ...buffers });
  const values: unknown = data.values;

  if (DataType.isInt(source) && !source.isSigned && DataType.isInt(target)) {
    if (values instanceof Uint8Array && target.bitWidth === 16) {
      return leaf({ values: Int16Array.from(values.subarray(o, o + n)) });
    }
    if (values instanceof Uint16Array && target.bitWidth === 32) {
      return leaf({ values: Int32Array.from(values.subarray(o, o + n)) });
    }
    if (values instanceof Uint32Array && target.bitWidth === 64) {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(values[o + i] ?? 0);
      return leaf({ values: out });
    }
  }
  if (DataType.isInt(source) && DataType.isDecimal(target) && values instanceof BigUint64Array) {
    // uint64 -> decimal(20,0): the low 64 bits are the value, the high 64 bits zero (little-endian words).
    const out = new BigUint64Array(n * 2);
    for (let i = 0; i < n; i++) out[i * 2] = values[o + i] ?? 0n;
    return leaf({ values: new Uint32Array(out.buffer) });
  }
  if (DataType.isFloat(source) && DataType.isFloat(target) && values instanceof Uint16Array) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = util.uint16ToFloat64(values[o + i] ?? 0);
    return leaf({ values: out });
  }
  if (DataType.isTimestamp(source) && DataType.isTimestamp(target) && values instanceof BigInt64Array) {
    const out = new BigInt64Array(n);
    const s = values.subarray(o, o + n);
    if (source.unit === TimeUnit.SECOND) for (let i = 0; i < n; i++) out[i] = (s[i] ?? 0n) * 1_000_000n;
    else if (source.unit === TimeUnit.MILLISECOND) for (let i = 0; i < n; i++) out[i] = (s[i] ?? 0n) * 1000n;
    else if (source.unit === TimeUnit.NANOSECOND) {
      // Floor division keeps pre-1970 instants in the right microsecond.
      for (let i = 0; i < n; i++) {
        const v = s[i] ?? 0n;
        const q = v / 1000n;
        out[i] = v < 0n && q * 1000n !== v ? q - 1n : q;
      }
    } else out.set(s);
    return leaf({ values: out });
  }
  if (DataType.isDate(source) && DataType.isDate(target) && values instanceof BigInt64Array) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(Number(values[o + i] ?? 0n) / 86_400_000);
    return leaf({ values: out });
  }
  if ((DataType.isLargeUtf8(source) || DataType.isLargeBinary(source)) && data.valueOffsets instanceof BigInt64Array) {
    const offsets = data.valueOffsets.subarray(o, o + n + 1);
    const start = offsets[0] ?? 0n;
    const end = offsets[n] ?? 0n;
    if (end - start > 2_147_483_647n) {
      throw new InvalidArgumentError(
        `Column ${column} holds more than 2 GiB of text in one batch; send smaller batches.`,
      );
    }
    const out = new Int32Array(n + 1);
    for (let i = 0; i <= n; i++) out[i] = Number((offsets[i] ?? 0n) - start);
    const bytes =
      data.values instanceof Uint8Array ? data.values.subarray(Number(start), Number(end)) : new Uint8Array();
    return leaf({ offsets: out, values: bytes });
  }
  if (DataType.isFixedSizeBinary(source) && DataType.isBinary(target) && values instanceof Uint8Array) {
    const w = source.byteWidth;
    const out = new Int32Array(n + 1);
    for (let i = 0; i <= n; i++) out[i] = i * w;
    return leaf({ offsets: out, values: values.subarray(o * w, (o + n) * w) });
  }
  throw mismatch(column, source, target);
}

/** Materializes a dictionary-encoded column as its value type. */
function decodeDictionary(data: Data, column: string): Data {
  const source = data.type;
  const chunks = data.dictionary?.data ?? [];
  const dictionary = chunks[0];
  if (!DataType.isDictionary(source) || dictionary === undefined) {
    throw new InvalidArgumentError(`Column ${column} is dictionary-encoded without a dictionary.`);
  }
  const n = data.length;
  const o = data.offset;
  const indices: ArrayLike<number | bigint> = data.values;
  const valueType = source.dictionary;
  const nullBitmap = data.nullCount > 0 ? util.truncateBitmap(o, n, data.nullBitmap) : undefined;
  const isValid = (i: number): boolean =>
    nullBitmap === undefined || ((nullBitmap[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  if (
    chunks.length === 1 &&
    (DataType.isUtf8(valueType) || DataType.isBinary(valueType)) &&
    dictionary.valueOffsets instanceof Int32Array &&
    dictionary.values instanceof Uint8Array
  ) {
    const dOffsets = dictionary.valueOffsets;
    const dBytes = dictionary.values;
    const dBase = dictionary.offset;
    const offsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (isValid(i)) {
        const k = Number(indices[o + i] ?? 0) + dBase;
        total += (dOffsets[k + 1] ?? 0) - (dOffsets[k] ?? 0);
      }
      offsets[i + 1] = total;
    }
    const bytes = new Uint8Array(total);
    for (let i = 0; i < n; i++) {
      if (!isValid(i)) continue;
      const k = Number(indices[o + i] ?? 0) + dBase;
      bytes.set(dBytes.subarray(dOffsets[k] ?? 0, dOffsets[k + 1] ?? 0), offsets[i] ?? 0);
    }
    return buildData(valueType, n, data.nullCount, { validity: nullBitmap, offsets, values: bytes });
  }
  // Any other dictionary (other value types, or a dictionary grown by IPC deltas into several chunks): decode
  // value by value through the dictionary vector, which resolves indices across its chunks.
  const values = data.dictionary;
  const builder = makeBuilder({ type: valueType, nullValues: [null, undefined] });
  for (let i = 0; i < n; i++) {
    builder.append(isValid(i) ? values?.get(Number(indices[o + i] ?? 0)) : null);
  }
  return builder.finish().flush();
}

type DataBuffers = Exclude<ConstructorParameters<typeof Data>[4], Data | undefined>;

/** Data of any type from its buffers (makeData's overloads need a static type). */
function buildData(
  type: ArrowDataType,
  length: number,
  nullCount: number,
  buffers: { validity?: Uint8Array | undefined; offsets?: unknown; values?: unknown },
  children: Data[] = [],
  offset = 0,
): Data {
  const b: DataBuffers = {};
  if (buffers.validity !== undefined && nullCount > 0) b[BufferType.VALIDITY] = buffers.validity;
  if (buffers.offsets !== undefined) b[BufferType.OFFSET] = buffers.offsets;
  if (buffers.values !== undefined) b[BufferType.DATA] = buffers.values;
  return new Data(type, offset, length, nullCount, b, children);
}

function mismatch(column: string, source: ArrowDataType, target: ArrowDataType): InvalidArgumentError {
  return new InvalidArgumentError(
    `Column ${column} has Arrow type ${String(source)}, which cannot be written as ${String(target)}; cast it and retry.`,
  );
}
