import { CorruptTableError } from "@mlfusion/core";
import {
  type DataType as ArrowDataType,
  BufferType,
  Data,
  DataType,
  DateUnit,
  type Field,
  makeVector,
  TimeUnit,
  vectorFromArray,
} from "apache-arrow";
import { type ColumnMappingMode, columnMappingId, physicalName } from "../column-mapping/column-mapping.js";
import { leafReader } from "../expression/arrow-scalars.js";
import { isDecimalValue, type Scalar } from "../expression/scalar.js";
import type { DataType as DeltaType, StructField } from "../schema/delta-schema.js";

// Turns a column as stored in a data file (physical names, the writer's Arrow types) into the column the table
// schema promises (logical names, the Arrow type of the Delta type or of its mlfusion.arrowType hint). Buffers
// are shared wherever the layout is the same; only differing nodes are rebuilt: timestamp units (INT96 and
// millisecond files), widened types (PROTOCOL.md "Type Widening"), and the exact types recorded in hints.

const PARQUET_FIELD_ID = "PARQUET:field_id";

/** Finds the child of a file struct (or the file schema) holding a table field, by physical name or field id. */
export function findPhysicalField(fields: readonly Field[], field: StructField, mode: ColumnMappingMode): number {
  if (mode === "id") {
    const id = columnMappingId(field);
    if (id !== undefined) {
      const byId = fields.findIndex((f) => f.metadata.get(PARQUET_FIELD_ID) === String(id));
      if (byId >= 0) return byId;
    }
  }
  const name = physicalName(field, mode);
  const exact = fields.findIndex((f) => f.name === name);
  if (exact >= 0) return exact;
  // Parquet column names are case-insensitive for Spark-written files of case-insensitive tables.
  const lower = name.toLowerCase();
  return fields.findIndex((f) => f.name.toLowerCase() === lower);
}

/** Casts file data to the logical Arrow type `target` of a table column of Delta type `deltaType`. */
export function castToLogical(
  data: Data,
  target: ArrowDataType,
  deltaType: DeltaType,
  mode: ColumnMappingMode,
  column: string,
): Data {
  const source = data.type;
  if (DataType.isDictionary(source)) {
    if (DataType.isDictionary(target) && sameLayout(source.dictionary, target.dictionary)) {
      return data.clone(target);
    }
    return rebuildFromValues(data, target);
  }
  if (typeof deltaType !== "string" && deltaType.type === "struct" && DataType.isStruct(target)) {
    if (!DataType.isStruct(source)) throw mismatch(column, source, target);
    const sourceFields: Field[] = source.children;
    const children = deltaType.fields.map((field, i) => {
      const targetChild = target.children[i];
      if (targetChild === undefined) throw mismatch(column, source, target);
      const index = findPhysicalField(sourceFields, field, mode);
      const child = index < 0 ? undefined : data.children[index];
      if (child === undefined) return nullData(targetChild.type, data.length);
      return castToLogical(child, targetChild.type, field.type, mode, `${column}.${field.name}`);
    });
    return new Data(target, data.offset, data.length, data.nullCount, buffers({ validity: data.nullBitmap }), children);
  }
  if (typeof deltaType !== "string" && deltaType.type === "array" && DataType.isList(target)) {
    if (!DataType.isList(source)) throw mismatch(column, source, target);
    const child = data.children[0];
    const targetChild = target.children[0];
    if (child === undefined || targetChild === undefined) throw mismatch(column, source, target);
    const cast = castToLogical(child, targetChild.type, deltaType.elementType, mode, `${column}.element`);
    return new Data(
      target,
      data.offset,
      data.length,
      data.nullCount,
      buffers({ validity: data.nullBitmap, offsets: data.valueOffsets }),
      [cast],
    );
  }
  if (typeof deltaType !== "string" && deltaType.type === "map" && DataType.isMap(target)) {
    if (!DataType.isMap(source)) throw mismatch(column, source, target);
    const entries = data.children[0];
    const targetEntries = target.children[0];
    const keyField = targetEntries?.type.children[0];
    const valueField = targetEntries?.type.children[1];
    if (entries === undefined || targetEntries === undefined || keyField === undefined || valueField === undefined) {
      throw mismatch(column, source, target);
    }
    const key = entries.children[0];
    const value = entries.children[1];
    if (key === undefined || value === undefined) throw mismatch(column, source, target);
    const castEntries = new Data(
      targetEntries.type,
      entries.offset,
      entries.length,
      entries.nullCount,
      buffers({ validity: entries.nullBitmap }),
      [
        castToLogical(key, keyField.type, deltaType.keyType, mode, `${column}.key`),
        castToLogical(value, valueField.type, deltaType.valueType, mode, `${column}.value`),
      ],
    );
    return new Data(
      target,
      data.offset,
      data.length,
      data.nullCount,
      buffers({ validity: data.nullBitmap, offsets: data.valueOffsets }),
      [castEntries],
    );
  }
  if (sameLayout(source, target)) return data.clone(target);
  return castPrimitive(data, target, column);
}

/** True when data of type `source` can be relabelled as `target` (same buffers). */
function sameLayout(source: ArrowDataType, target: ArrowDataType): boolean {
  if (source.typeId !== target.typeId) return false;
  if (DataType.isTimestamp(source) && DataType.isTimestamp(target)) return source.unit === target.unit;
  if (DataType.isInt(source) && DataType.isInt(target)) {
    return source.bitWidth === target.bitWidth && source.isSigned === target.isSigned;
  }
  if (DataType.isFloat(source) && DataType.isFloat(target)) return source.precision === target.precision;
  if (DataType.isDate(source) && DataType.isDate(target)) return source.unit === target.unit;
  if (DataType.isDecimal(source) && DataType.isDecimal(target)) {
    return source.scale === target.scale && source.bitWidth === target.bitWidth;
  }
  if (DataType.isFixedSizeBinary(source) && DataType.isFixedSizeBinary(target)) {
    return source.byteWidth === target.byteWidth;
  }
  return !(
    DataType.isStruct(source) ||
    DataType.isList(source) ||
    DataType.isLargeList(source) ||
    DataType.isMap(source) ||
    DataType.isFixedSizeList(source) ||
    DataType.isUnion(source)
  );
}

const UNIT_MICROS: Record<TimeUnit, bigint> = {
  [TimeUnit.SECOND]: 1_000_000n,
  [TimeUnit.MILLISECOND]: 1000n,
  [TimeUnit.MICROSECOND]: 1n,
  [TimeUnit.NANOSECOND]: 1n,
};

function castPrimitive(data: Data, target: ArrowDataType, column: string): Data {
  const read = leafReader(makeVector(data));
  const n = data.length;
  const validity = data.offset === 0 ? data.nullBitmap : undefined;
  const compact = (values: TypedValues): Data => {
    if (validity === undefined && data.nullCount > 0) return rebuildFromValues(data, target);
    return new Data(target, 0, n, data.nullCount, buffers({ validity, values }));
  };
  if (DataType.isTimestamp(target)) {
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const micros = toMicros(read(i));
      if (micros === undefined) continue;
      out[i] = target.unit === TimeUnit.NANOSECOND ? micros * 1000n : floorDiv(micros, UNIT_MICROS[target.unit] ?? 1n);
    }
    return compact(out);
  }
  if (DataType.isDate(target) && target.unit === DateUnit.DAY) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = read(i);
      if (typeof v === "number") out[i] = v;
    }
    return compact(out);
  }
  if (DataType.isInt(target)) {
    if (target.bitWidth === 64) {
      const out = target.isSigned ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) {
        const v = toBigInt(read(i));
        if (v !== undefined) out[i] = target.isSigned ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
      }
      return compact(out);
    }
    const out = newSmallIntArray(target.bitWidth, target.isSigned, n);
    for (let i = 0; i < n; i++) {
      const v = toNumber(read(i));
      if (v !== undefined) out[i] = v;
    }
    return compact(out);
  }
  if (DataType.isFloat(target) && target.precision !== 0) {
    const out = target.precision === 1 ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = toNumber(read(i));
      if (v !== undefined) out[i] = v;
    }
    return compact(out);
  }
  if (DataType.isDecimal(target) && target.bitWidth === 128) {
    const out = new Uint32Array(n * 4);
    for (let i = 0; i < n; i++) {
      const v = read(i);
      if (v === null) continue;
      let unscaled: bigint;
      if (isDecimalValue(v)) {
        const diff = target.scale - v.scale;
        unscaled = diff >= 0 ? v.unscaled * 10n ** BigInt(diff) : v.unscaled / 10n ** BigInt(-diff);
      } else {
        const b = toBigInt(v);
        if (b === undefined) throw mismatch(column, data.type, target);
        unscaled = b * 10n ** BigInt(target.scale);
      }
      const u = BigInt.asUintN(128, unscaled);
      for (let w = 0; w < 4; w++) out[i * 4 + w] = Number((u >> BigInt(32 * w)) & 0xffffffffn);
    }
    return compact(out);
  }
  return rebuildFromValues(data, target);
}

/** A typed array for 8/16/32-bit integers of the given signedness. */
export function newSmallIntArray(
  bitWidth: number,
  signed: boolean,
  length: number,
): Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array {
  switch (bitWidth) {
    case 8:
      return signed ? new Int8Array(length) : new Uint8Array(length);
    case 16:
      return signed ? new Int16Array(length) : new Uint16Array(length);
    default:
      return signed ? new Int32Array(length) : new Uint32Array(length);
  }
}

/** The slow, general path: read every value and build a new column of the target type. */
function rebuildFromValues(data: Data, target: ArrowDataType): Data {
  const vector = makeVector(data);
  const values: unknown[] = new Array(data.length);
  for (let i = 0; i < data.length; i++) values[i] = vector.get(i);
  const rebuilt = vectorFromArray(values, target).data[0];
  if (rebuilt === undefined) throw new CorruptTableError(`Cannot convert a column to ${String(target)}.`);
  return rebuilt;
}

/** A column of `length` nulls of any type (a column missing from an older data file). */
export function nullData(type: ArrowDataType, length: number): Data {
  const built = vectorFromArray(new Array<null>(length).fill(null), type).data[0];
  if (built === undefined) throw new CorruptTableError(`Cannot build a null column of type ${String(type)}.`);
  return built;
}

function toMicros(v: Scalar): bigint | undefined {
  if (typeof v === "bigint") return v; // timestamps are read as microseconds
  if (typeof v === "number") return BigInt(v) * 86_400_000_000n; // a date (days) widened to a timestamp
  return undefined;
}

function toBigInt(v: Scalar): bigint | undefined {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return Number.isFinite(v) ? BigInt(Math.trunc(v)) : undefined;
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (v !== null && isDecimalValue(v)) return v.unscaled / 10n ** BigInt(v.scale);
  return undefined;
}

function toNumber(v: Scalar): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v !== null && isDecimalValue(v)) return Number(v.unscaled) / 10 ** v.scale;
  return undefined;
}

/** The buffers argument of the Data constructor (apache-arrow does not export its Buffers type). */
type DataBuffers = Exclude<ConstructorParameters<typeof Data>[4], Data | undefined>;

type TypedValues =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** Buffers for `new Data`, leaving out the absent ones. */
function buffers(parts: {
  validity?: Uint8Array | null | undefined;
  offsets?: Int32Array | BigInt64Array | null | undefined;
  values?: TypedValues;
}): DataBuffers {
  const out: DataBuffers = {};
  if (parts.validity != null) out[BufferType.VALIDITY] = parts.validity;
  if (parts.offsets != null) out[BufferType.OFFSET] = parts.offsets;
  if (parts.values !== undefined) out[BufferType.DATA] = parts.values;
  return out;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function mismatch(column: string, source: ArrowDataType, target: ArrowDataType): CorruptTableError {
  return new CorruptTableError(
    `Column ${column} is stored as ${String(source)} in a data file but the table schema says ${String(target)}; the data file does not match the table.`,
    { details: { column } },
  );
}
