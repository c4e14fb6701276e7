import { type ColumnMappingMode, physicalPath } from "../column-mapping/column-mapping.js";
import type { ColumnStats, StatsLookup } from "../expression/data-skipping.js";
import { type Scalar, scalarFromJson } from "../expression/scalar.js";
import type { AddAction } from "../log/actions.js";
import { isRecord } from "../log/actions.js";
import type { StructType } from "../schema/delta-schema.js";

// Per-file statistics (PROTOCOL.md "Per-file Statistics"): numRecords, minValues, maxValues and nullCount, keyed
// by physical column name and nested like the schema. They come as a JSON string (`add.stats`) or, from a
// checkpoint, already typed (`stats_parsed`). Spark truncates timestamp statistics to milliseconds, so a maximum
// is widened by 1 ms before use. Statistics without tight bounds (files with deletion vectors) keep min/max as
// bounds but their null counts are not trusted.

interface ParsedStats {
  numRecords?: number;
  minValues: Record<string, unknown>;
  maxValues: Record<string, unknown>;
  nullCount: Record<string, unknown>;
  tight: boolean;
}

const parsedCache = new WeakMap<AddAction, ParsedStats | null>();

/** The statistics of a file as a JSON-like object, or undefined when the file has none (or they are invalid). */
function parsedStats(add: AddAction): ParsedStats | undefined {
  const cached = parsedCache.get(add);
  if (cached !== undefined) return cached ?? undefined;
  let value: unknown = add.statsParsed ?? undefined;
  if (value === undefined && typeof add.stats === "string" && add.stats !== "") {
    try {
      value = JSON.parse(add.stats);
    } catch {
      // Statistics are optional: invalid ones only disable skipping for this file (never fail a read).
      value = undefined;
    }
  }
  let parsed: ParsedStats | null = null;
  if (isRecord(value)) {
    const n = value.numRecords;
    parsed = {
      minValues: isRecord(value.minValues) ? value.minValues : {},
      maxValues: isRecord(value.maxValues) ? value.maxValues : {},
      nullCount: isRecord(value.nullCount) ? value.nullCount : {},
      tight: value.tightBounds !== false,
    };
    if (typeof n === "number" || typeof n === "bigint") parsed.numRecords = Number(n);
  }
  parsedCache.set(add, parsed);
  return parsed ?? undefined;
}

/** The number of records of a file from its statistics, if known. */
export function fileNumRecords(add: AddAction): number | undefined {
  return parsedStats(add)?.numRecords;
}

/**
 * A StatsLookup for one file: data columns from its statistics, partition columns exactly from their values.
 */
export function fileStatsLookup(
  add: AddAction,
  schema: StructType,
  mode: ColumnMappingMode,
  partitionValues: ReadonlyMap<string, Scalar>,
): StatsLookup {
  const stats = parsedStats(add);
  return (path) => {
    const [top] = path;
    if (top === undefined) return undefined;
    if (path.length === 1 && partitionValues.has(top)) {
      const value = partitionValues.get(top) ?? null;
      // Exact: every row has the partition value. Without statistics the row count is unknown, so "1 row" stands
      // in for it (all rows are null, or none is).
      const n = stats?.numRecords ?? 1;
      const out: ColumnStats = { nullCount: value === null ? n : 0, numRecords: n };
      if (value !== null) {
        out.min = value;
        out.max = value;
      }
      return out;
    }
    if (stats === undefined) return undefined;
    const physical = physicalPath(schema, path, mode);
    if (physical === undefined) return undefined;
    const { keys, type } = physical;
    const out: ColumnStats = {};
    const min = scalarFromJson(dig(stats.minValues, keys), type);
    const max = scalarFromJson(dig(stats.maxValues, keys), type);
    if (min !== undefined) out.min = min;
    if (max !== undefined) out.max = type === "timestamp" || type === "timestamp_ntz" ? widen(max) : max;
    if (stats.tight) {
      const nulls = dig(stats.nullCount, keys);
      if (typeof nulls === "number" || typeof nulls === "bigint") out.nullCount = Number(nulls);
      if (stats.numRecords !== undefined) out.numRecords = stats.numRecords;
    }
    return out;
  };
}

function widen(max: Scalar): Scalar {
  return typeof max === "bigint" ? max + 1000n : max;
}

function dig(record: Record<string, unknown>, keys: readonly string[]): unknown {
  let value: unknown = record;
  for (const key of keys) {
    if (!isRecord(value)) return undefined;
    value = value[key];
  }
  return value;
}
