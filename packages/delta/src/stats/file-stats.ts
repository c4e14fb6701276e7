import type { RecordBatch } from "apache-arrow";
import type { FileMetaData } from "hyparquet";
import type { DataType, StructType } from "../schema/delta-schema.js";

// `add.stats` (PROTOCOL.md "Per-file Statistics") from a written file's Parquet footer: numRecords, and per leaf
// column minValues, maxValues and nullCount, nested like the schema. The footer already holds exact chunk
// statistics (parquet-rs computes them while encoding), so the data is never scanned twice.

/**
 * A string minimum longer than this is written as its prefix (still a lower bound); a longer maximum has no short
 * bound valid in every string order, so the column then gets no bounds at all.
 */
const STRING_PREFIX_LENGTH = 32;

/** A decoded Parquet statistic, as hyparquet returns it. */
type MinMaxType = bigint | boolean | number | string | Date | Uint8Array;
type StatValue = number | bigint | string | boolean | DecimalText;

/** An exact decimal written as a JSON number literal (a double would round 38-digit values). */
class DecimalText {
  constructor(readonly text: string) {}
}

/** Exact bounds of top-level decimal columns, tracked while writing (see {@link DecimalBounds}). */
export type DecimalBoundsByColumn = ReadonlyMap<string, { min: bigint; max: bigint; scale: number }>;
interface StatTree {
  [key: string]: StatValue | StatTree;
}

/**
 * Builds the JSON `add.stats` string for a data file from its footer. `schema` holds the data columns (no
 * partition columns) in their Delta types; columns without usable statistics are left out, which readers
 * treat as unknown.
 *
 * @example
 * const stats = statsFromFooter(footer, dataSchema); // '{"numRecords":3,"minValues":{"id":1},...}'
 */
export function statsFromFooter(
  footer: FileMetaData,
  schema: StructType,
  decimals: DecimalBoundsByColumn = new Map(),
): string {
  const columns = new Map<string, ColumnStats>();
  for (const rowGroup of footer.row_groups) {
    for (const chunk of rowGroup.columns) {
      const meta = chunk.meta_data;
      if (meta === undefined) continue;
      const key = meta.path_in_schema.join("\u0000");
      const stats = meta.statistics;
      const current = columns.get(key) ?? { min: undefined, max: undefined, nullCount: 0n, complete: true };
      if (stats === undefined || stats.null_count === undefined) current.complete = false;
      else {
        current.nullCount += stats.null_count;
        const min = stats.is_min_value_exact === false ? undefined : (stats.min_value ?? undefined);
        const max = stats.is_max_value_exact === false ? undefined : (stats.max_value ?? undefined);
        // A row group of only nulls has no min/max and does not constrain the bounds.
        const allNull = stats.null_count === rowGroup.num_rows;
        if (!allNull && (min === undefined || max === undefined)) current.complete = false;
        if (min !== undefined && (current.min === undefined || compare(min, current.min) < 0)) current.min = min;
        if (max !== undefined && (current.max === undefined || compare(max, current.max) > 0)) current.max = max;
      }
      columns.set(key, current);
    }
  }
  const minValues: StatTree = {};
  const maxValues: StatTree = {};
  const nullCount: StatTree = {};
  collect(schema, [], columns, { minValues, maxValues, nullCount });
  for (const [name, bounds] of decimals) {
    if (nullCount[name] === undefined) continue; // the footer has no complete statistics for the column
    minValues[name] = new DecimalText(formatDecimal(bounds.min, bounds.scale));
    maxValues[name] = new DecimalText(formatDecimal(bounds.max, bounds.scale));
  }
  return serialize({ numRecords: footer.num_rows, minValues, maxValues, nullCount });
}

/** Parsers for hyparquet that keep dates as day numbers and timestamps as bigint microseconds. */
export const STATS_PARSERS = {
  timestampFromMicroseconds: (micros: bigint): bigint => micros,
  timestampFromMilliseconds: (millis: bigint): bigint => millis * 1000n,
  timestampFromNanoseconds: (nanos: bigint): bigint => nanos / 1000n,
  dateFromDays: (days: number): number => days,
};

interface ColumnStats {
  min: MinMaxType | undefined;
  max: MinMaxType | undefined;
  nullCount: bigint;
  complete: boolean;
}

function collect(
  struct: StructType,
  path: string[],
  columns: Map<string, ColumnStats>,
  out: { minValues: StatTree; maxValues: StatTree; nullCount: StatTree },
): void {
  for (const field of struct.fields) {
    const fieldPath = [...path, field.name];
    const type = field.type;
    if (typeof type !== "string") {
      if (type.type !== "struct") continue; // arrays and maps: no per-leaf statistics in Delta
      const nested = { minValues: {}, maxValues: {}, nullCount: {} };
      collect(type, fieldPath, columns, nested);
      for (const k of ["minValues", "maxValues", "nullCount"] as const) {
        if (Object.keys(nested[k]).length > 0) out[k][field.name] = nested[k];
      }
      continue;
    }
    const stats = columns.get(fieldPath.join("\u0000"));
    if (stats === undefined || !stats.complete) continue;
    out.nullCount[field.name] = stats.nullCount;
    const min = stats.min === undefined ? undefined : toStatValue(stats.min, type, "min");
    const max = stats.max === undefined ? undefined : toStatValue(stats.max, type, "max");
    if (min !== undefined && max !== undefined) {
      out.minValues[field.name] = min;
      out.maxValues[field.name] = max;
    }
  }
}

/** Converts a footer statistic to its Delta JSON form, or undefined when the type keeps no bounds. */
function toStatValue(value: MinMaxType, type: DataType, bound: "min" | "max"): StatValue | undefined {
  switch (type) {
    case "byte":
    case "short":
    case "integer":
    case "long":
      return typeof value === "number" || typeof value === "bigint" ? value : undefined;
    case "float":
    case "double":
      return typeof value === "number" && Number.isFinite(value) ? value : undefined;
    case "string": {
      if (typeof value !== "string") return undefined;
      const chars = Array.from(value);
      if (chars.length <= STRING_PREFIX_LENGTH) return value;
      const prefix = chars.slice(0, STRING_PREFIX_LENGTH).join("");
      // No tie-breaker character bounds a truncated maximum in both UTF-8 byte order (Parquet, delta-rs) and UTF-16
      // order (JavaScript comparisons): U+10FFFF sorts below U+E000-U+FFFF in UTF-16. Leave the bounds out.
      return bound === "min" ? prefix : undefined;
    }
    case "date":
      return typeof value === "number" ? formatDate(value) : undefined;
    case "timestamp":
    case "timestamp_ntz": {
      if (typeof value !== "bigint") return undefined;
      // Bounds are written in milliseconds (as Spark does); readers widen the maximum by 1 ms.
      const millis = Number(value / 1000n) - (value < 0n && value % 1000n !== 0n ? 1 : 0);
      const iso = new Date(millis).toISOString();
      return type === "timestamp" ? iso : iso.slice(0, -1);
    }
    default:
      // boolean, binary and decimal keep no bounds: the footer's decimal values are not exact in JavaScript.
      return undefined;
  }
}

function formatDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

function compare(a: MinMaxType, b: MinMaxType): number {
  if (typeof a === "string" && typeof b === "string") return compareUtf8(a, b);
  if ((typeof a === "number" || typeof a === "bigint") && (typeof b === "number" || typeof b === "bigint")) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return 0;
}

const encoder = new TextEncoder();

/** Parquet orders strings by their UTF-8 bytes, which differs from UTF-16 order for astral characters. */
function compareUtf8(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** JSON with bigints written as exact integers (JSON.stringify rejects them). */
function serialize(value: StatValue | StatTree): string {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof DecimalText) return value.text;
  if (typeof value !== "object") return JSON.stringify(value);
  return `{${Object.entries(value)
    .map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`)
    .join(",")}}`;
}

/** Plain decimal text of an unscaled value, e.g. (-12345n, 2) -> "-123.45". */
function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  if (scale <= 0) return `${negative ? "-" : ""}${digits}${"0".repeat(-scale)}`;
  const padded = digits.padStart(scale + 1, "0");
  return `${negative ? "-" : ""}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/**
 * Tracks exact minimum and maximum of top-level decimal128 columns over the batches of one file: the footer's
 * decimal statistics are only available as doubles in JavaScript.
 */
export class DecimalBounds {
  private readonly bounds = new Map<string, { min: bigint; max: bigint; scale: number }>();

  constructor(private readonly columns: ReadonlyMap<string, number>) {}

  /** Updates the bounds from a batch holding the columns as Arrow Decimal (128-bit little-endian words). */
  add(batch: RecordBatch): void {
    for (const [name, scale] of this.columns) {
      const data = batch.getChild(name)?.data[0];
      const words: unknown = data?.values;
      if (data === undefined || !(words instanceof Uint32Array)) continue;
      const current = this.bounds.get(name);
      let min = current?.min;
      let max = current?.max;
      for (let row = 0; row < data.length; row++) {
        if (!data.getValid(row)) continue;
        const i = (data.offset + row) * 4;
        let v = 0n;
        for (let w = 3; w >= 0; w--) v = (v << 32n) | BigInt(words[i + w] ?? 0);
        v = BigInt.asIntN(128, v);
        if (min === undefined || v < min) min = v;
        if (max === undefined || v > max) max = v;
      }
      if (min !== undefined && max !== undefined) this.bounds.set(name, { min, max, scale });
    }
  }

  result(): DecimalBoundsByColumn {
    return this.bounds;
  }
}
