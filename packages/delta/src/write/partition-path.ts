import { InvalidArgumentError } from "@mlfusion/core";
import { type Data, DataType, type RecordBatch } from "apache-arrow";
import { type DataType as DeltaType, decimalParams } from "../schema/delta-schema.js";

// Partition values (PROTOCOL.md "Partition Value Serialization") and Hive-style directories
// (`col=value/`, values escaped like Hive's escapePathName, null as __HIVE_DEFAULT_PARTITION__).

/** The directory name Hive, Spark and delta-rs use for a null partition value. */
export const HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__";

/** A run of consecutive rows of a batch that share their partition values. */
export interface PartitionRun {
  key: string;
  values: Record<string, string | null>;
  start: number;
  end: number;
}

/**
 * Splits a batch (physical Delta types) into runs of rows with equal partition values, serialized per the
 * protocol. Input grouped by partition gives one run per partition; interleaved input gives more, smaller runs.
 */
export function partitionRuns(
  batch: RecordBatch,
  partitionColumns: readonly string[],
  types: ReadonlyMap<string, DeltaType>,
): PartitionRun[] {
  const columns = partitionColumns.map((name) => {
    const index = batch.schema.fields.findIndex((f) => f.name === name);
    const data = index < 0 ? undefined : batch.getChildAt(index)?.data[0];
    const type = types.get(name);
    if (data === undefined || type === undefined) {
      throw new InvalidArgumentError(`The input has no partition column ${JSON.stringify(name)}; add it and retry.`);
    }
    return { name, serialize: partitionSerializer(data, type, name) };
  });
  const runs: PartitionRun[] = [];
  let current: PartitionRun | undefined;
  for (let row = 0; row < batch.numRows; row++) {
    const values: Record<string, string | null> = {};
    for (const c of columns) values[c.name] = c.serialize(row);
    const key = JSON.stringify(partitionColumns.map((c) => values[c] ?? null));
    if (current !== undefined && current.key === key) {
      current.end = row + 1;
      continue;
    }
    current = { key, values, start: row, end: row + 1 };
    runs.push(current);
  }
  return runs;
}

/** The relative directory of a partition, e.g. `date=2024-01-01/country=US%2FCA` (Hive-escaped, not URI-encoded). */
export function partitionDirectory(
  partitionColumns: readonly string[],
  values: Readonly<Record<string, string | null>>,
): string {
  return partitionColumns
    .map((c) => {
      const v = values[c];
      return `${escapePathName(c)}=${v === null || v === undefined ? HIVE_DEFAULT_PARTITION : escapePathName(v)}`;
    })
    .join("/");
}

/**
 * Hive's escapePathName: characters that are unsafe in a path segment become %XX (uppercase hex), so values
 * like `a/b` or `x=y` stay one directory and read back exactly.
 */
export function escapePathName(value: string): string {
  let out = "";
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f || `"#%'*/:=?\\{[]^`.includes(ch)) {
      out += `%${code.toString(16).toUpperCase().padStart(2, "0")}`;
    } else out += ch;
  }
  return out;
}

/**
 * `add.path` is a URI reference (PROTOCOL.md "Add File and Remove File"): percent-encode a relative file path
 * (each segment), keeping `/` and `=` readable.
 */
export function toAddPath(relativePath: string): string {
  return relativePath
    .split("/")
    .map((segment) => encodeURIComponent(segment).replace(/%3D/g, "="))
    .join("/");
}

function partitionSerializer(data: Data, type: DeltaType, column: string): (row: number) => string | null {
  const arrowType = data.type;
  const o = data.offset;
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
  const isNull = (row: number): boolean => {
    if (bitmap === undefined) return false;
    const bit = o + row;
    return ((bitmap[bit >> 3] ?? 0) & (1 << (bit & 7))) === 0;
  };
  const values: unknown = data.values;
  if (typeof type !== "string") {
    throw new InvalidArgumentError(`Partition column ${column} must have a primitive type, not ${type.type}.`);
  }
  if (DataType.isUtf8(arrowType) && data.valueOffsets instanceof Int32Array && values instanceof Uint8Array) {
    const offsets = data.valueOffsets;
    const decoder = new TextDecoder();
    return (row) => {
      if (isNull(row)) return null;
      const s = decoder.decode(values.subarray(offsets[o + row] ?? 0, offsets[o + row + 1] ?? 0));
      // Spark and delta-rs store an empty string partition value as null.
      return s === "" ? null : s;
    };
  }
  if (type === "date" && values instanceof Int32Array) {
    return (row) => (isNull(row) ? null : formatDate(values[o + row] ?? 0));
  }
  if ((type === "timestamp" || type === "timestamp_ntz") && values instanceof BigInt64Array) {
    return (row) => (isNull(row) ? null : formatTimestamp(values[o + row] ?? 0n));
  }
  if (type === "boolean" && values instanceof Uint8Array) {
    return (row) => {
      if (isNull(row)) return null;
      const bit = o + row;
      return ((values[bit >> 3] ?? 0) & (1 << (bit & 7))) !== 0 ? "true" : "false";
    };
  }
  const decimal = decimalParams(type);
  if (decimal !== undefined && values instanceof Uint32Array) {
    return (row) => (isNull(row) ? null : formatDecimal(decimal128At(values, o + row), decimal.scale));
  }
  if (
    (type === "long" ||
      type === "integer" ||
      type === "short" ||
      type === "byte" ||
      type === "float" ||
      type === "double") &&
    (values instanceof BigInt64Array ||
      values instanceof Int32Array ||
      values instanceof Int16Array ||
      values instanceof Int8Array ||
      values instanceof Float32Array ||
      values instanceof Float64Array)
  ) {
    return (row) => (isNull(row) ? null : String(values[o + row]));
  }
  throw new InvalidArgumentError(
    `Partition column ${column} has type ${type}, which cannot be a partition column; use a string, number, boolean, date, timestamp or decimal column.`,
  );
}

function formatDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, as delta-rs writes timestamp partition values. */
export function formatTimestamp(micros: bigint): string {
  let ms = micros / 1000n;
  let us = micros % 1000n;
  if (us < 0n) {
    us += 1000n;
    ms -= 1n;
  }
  const iso = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${us.toString().padStart(3, "0")}`;
}

function decimal128At(words: Uint32Array, index: number): bigint {
  let v = 0n;
  for (let w = 3; w >= 0; w--) v = (v << 32n) | BigInt(words[index * 4 + w] ?? 0);
  return BigInt.asIntN(128, v);
}

function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  if (scale <= 0) return `${negative ? "-" : ""}${digits}${"0".repeat(-scale)}`;
  const padded = digits.padStart(scale + 1, "0");
  return `${negative ? "-" : ""}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}
