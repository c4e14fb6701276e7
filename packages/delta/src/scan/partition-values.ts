import { CorruptTableError } from "@mlfusion/core";
import {
  type DataType as ArrowDataType,
  BufferType,
  Data,
  DataType,
  DateUnit,
  TimeUnit,
  vectorFromArray,
} from "apache-arrow";
import { isDecimalValue, type Scalar, scalarFromText } from "../expression/scalar.js";
import type { DataType as DeltaType } from "../schema/delta-schema.js";
import { newSmallIntArray, nullData } from "./arrow-cast.js";

// Partition values come from the log (`add.partitionValues`, strings keyed by physical name), never from
// directory names (PROTOCOL.md "Partition Value Serialization"). An empty string is null for every type but
// string; timestamps without a zone are read as UTC.

/** Parses a serialized partition value to a scalar of the column's Delta type (null for null/empty). */
export function parsePartitionValue(text: string | null | undefined, type: DeltaType, column: string): Scalar {
  if (text === null || text === undefined) return null;
  if (text === "" && type !== "string") return null;
  const value = scalarFromText(text, type);
  if (value === undefined) {
    throw new CorruptTableError(
      `The partition value ${JSON.stringify(text)} of column ${column} is not a valid ${typeof type === "string" ? type : type.type}; the table log is damaged.`,
      { details: { column, value: text } },
    );
  }
  return value;
}

/** A column of `length` copies of one partition value, of the Arrow type the scan outputs. */
export function constantColumn(value: Scalar, type: ArrowDataType, length: number): Data {
  if (value === null) return nullData(type, length);
  if (DataType.isInt(type)) {
    if (type.bitWidth === 64) {
      const v = typeof value === "bigint" ? value : BigInt(Math.trunc(Number(value)));
      const out = type.isSigned ? new BigInt64Array(length).fill(v) : new BigUint64Array(length).fill(v);
      return new Data(type, 0, length, 0, { [BufferType.DATA]: out });
    }
    const n = Number(value);
    return new Data(type, 0, length, 0, {
      [BufferType.DATA]: newSmallIntArray(type.bitWidth, type.isSigned, length).fill(n),
    });
  }
  if (DataType.isFloat(type) && type.precision !== 0 && typeof value === "number") {
    const out = type.precision === 1 ? new Float32Array(length).fill(value) : new Float64Array(length).fill(value);
    return new Data(type, 0, length, 0, { [BufferType.DATA]: out });
  }
  if (DataType.isDate(type) && type.unit === DateUnit.DAY && typeof value === "number") {
    return new Data(type, 0, length, 0, { [BufferType.DATA]: new Int32Array(length).fill(value) });
  }
  if (DataType.isTimestamp(type) && typeof value === "bigint") {
    const v =
      type.unit === TimeUnit.NANOSECOND
        ? value * 1000n
        : type.unit === TimeUnit.MILLISECOND
          ? value / 1000n
          : type.unit === TimeUnit.SECOND
            ? value / 1_000_000n
            : value;
    return new Data(type, 0, length, 0, { [BufferType.DATA]: new BigInt64Array(length).fill(v) });
  }
  if (DataType.isDecimal(type) && type.bitWidth === 128 && isDecimalValue(value)) {
    const diff = type.scale - value.scale;
    const unscaled = diff >= 0 ? value.unscaled * 10n ** BigInt(diff) : value.unscaled / 10n ** BigInt(-diff);
    const u = BigInt.asUintN(128, unscaled);
    const words = [0, 1, 2, 3].map((w) => Number((u >> BigInt(32 * w)) & 0xffffffffn));
    const out = new Uint32Array(length * 4);
    for (let i = 0; i < length; i++) out.set(words, i * 4);
    return new Data(type, 0, length, 0, { [BufferType.DATA]: out });
  }
  const js = isDecimalValue(value) ? String(value.unscaled) : value;
  const built = vectorFromArray(new Array<unknown>(length).fill(js), type).data[0];
  if (built === undefined) throw new CorruptTableError(`Cannot build a partition column of type ${String(type)}.`);
  return built;
}
