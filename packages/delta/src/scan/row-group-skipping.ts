import { type ColumnMappingMode, physicalPath } from "../column-mapping/column-mapping.js";
import type { ColumnStats, StatsLookup } from "../expression/data-skipping.js";
import type { Scalar } from "../expression/scalar.js";
import type { FooterValueParsers, ParquetFooter } from "../parquet/parquet-reader.js";
import type { StructType } from "../schema/delta-schema.js";

// Row-group skipping inside a data file: the same predicate test as file skipping, on the column-chunk
// statistics of the Parquet footer. Only exact statistics are used (integers, floats, strings, booleans,
// dates and timestamps); decimals are left out because the footer parser returns them as floats.

/** Footer value parsers that keep timestamps exact (bigint microseconds) and dates as day numbers. */
export const EXACT_PARSERS: FooterValueParsers = {
  timestampFromMicroseconds: (micros: bigint): bigint => micros,
  timestampFromMilliseconds: (millis: bigint): bigint => millis * 1000n,
  timestampFromNanoseconds: (nanos: bigint): bigint => nanos / 1000n,
  dateFromDays: (days: number): number => days,
};

const USABLE = new Set([
  "byte",
  "short",
  "integer",
  "long",
  "float",
  "double",
  "string",
  "boolean",
  "date",
  "timestamp",
  "timestamp_ntz",
]);

/** A StatsLookup over one row group of a footer (data columns only; partition columns via `partition`). */
export function rowGroupStatsLookup(
  footer: ParquetFooter,
  rowGroup: number,
  schema: StructType,
  mode: ColumnMappingMode,
  partition: StatsLookup,
): StatsLookup {
  const group = footer.row_groups[rowGroup];
  const numRecords = group === undefined ? undefined : Number(group.num_rows);
  return (path) => {
    const p = partition(path);
    if (p !== undefined) return p;
    if (group === undefined) return undefined;
    const physical = physicalPath(schema, path, mode);
    if (physical === undefined || typeof physical.type !== "string" || !USABLE.has(physical.type)) return undefined;
    const key = physical.keys.join("\u0000");
    const chunk = group.columns.find((c) => c.meta_data?.path_in_schema.join("\u0000") === key);
    const stats = chunk?.meta_data?.statistics;
    if (stats === undefined) return undefined;
    const out: ColumnStats = {};
    if (numRecords !== undefined) out.numRecords = numRecords;
    if (stats.null_count !== undefined) out.nullCount = Number(stats.null_count);
    const min = toScalar(stats.min_value ?? stats.min, physical.type);
    const max = toScalar(stats.max_value ?? stats.max, physical.type);
    if (min !== undefined) out.min = min;
    if (max !== undefined) out.max = max;
    return out;
  };
}

function toScalar(value: unknown, type: string): Scalar | undefined {
  switch (type) {
    case "long":
      return typeof value === "bigint"
        ? value
        : typeof value === "number" && Number.isInteger(value)
          ? BigInt(value)
          : undefined;
    case "timestamp":
    case "timestamp_ntz":
      return typeof value === "bigint" ? value : undefined;
    case "string":
      return typeof value === "string" ? value : undefined;
    case "boolean":
      return typeof value === "boolean" ? value : undefined;
    case "float":
    case "double":
      // Writers may omit NaN from min/max; a NaN bound is not usable.
      return typeof value === "number" && !Number.isNaN(value) ? value : undefined;
    default:
      return typeof value === "number" ? value : undefined;
  }
}
