import { type DataType, Type } from "apache-arrow";
import type { DataFile, DatasetSnapshot } from "./dataset-catalog.js";
import type { ColumnFilter } from "./sql/select-analysis.js";
import type { Literal } from "./sql/sql-ast.js";

/**
 * Data skipping (PROTOCOL.md "Per-file Statistics"): keeps the files whose partition values or min/max stats can
 * satisfy every filter. A file is dropped only when some filter is provably false for all of its rows; any doubt
 * (missing stats, a type we do not compare, a literal we cannot convert) keeps it. Filters are null-rejecting
 * comparisons, so a file whose column is all null is dropped too.
 */
export function skipFiles(snapshot: DatasetSnapshot, filters: readonly ColumnFilter[]): DataFile[] {
  if (filters.length === 0) return [...snapshot.files];
  const byName = new Map(snapshot.schema.fields.map((f) => [f.name.toLowerCase(), f]));
  const partitions = new Set(snapshot.partitionColumns.map((c) => c.toLowerCase()));
  const checks: ((file: DataFile) => boolean)[] = [];
  for (const filter of filters) {
    const field = byName.get(filter.column.toLowerCase());
    if (field === undefined) continue;
    const domain = domainOf(field.type);
    if (domain === undefined) continue;
    const mayMatch = compileFilter(filter, domain);
    if (mayMatch === undefined) continue;
    if (partitions.has(field.name.toLowerCase())) {
      checks.push((file) => {
        const raw = file.partitionValues[field.name];
        if (raw === null) return false;
        if (raw === undefined) return true;
        const value = domain.fromPartition(raw);
        return value === undefined || mayMatch(value, value);
      });
    } else {
      checks.push((file) => {
        const stats = file.stats;
        if (stats === undefined) return true;
        const nulls = stats.nullCount?.[field.name];
        if (typeof nulls === "number" && stats.numRecords !== undefined && nulls === stats.numRecords) {
          return false;
        }
        const min = domain.fromStat(stats.minValues?.[field.name], "min");
        const max = domain.fromStat(stats.maxValues?.[field.name], "max");
        return mayMatch(min, max);
      });
    }
  }
  return snapshot.files.filter((file) => checks.every((check) => check(file)));
}

type Value = number | string | boolean;

/** Whether a file whose values lie in [min, max] may satisfy the filter; undefined when it cannot be evaluated. */
function compileFilter(
  filter: ColumnFilter,
  domain: Domain,
): ((min: Value | undefined, max: Value | undefined) => boolean) | undefined {
  // All-null files and null partitions are dropped before this is asked; any other file may hold a non-null value.
  if (filter.op === "not null") return () => true;
  if (filter.op === "or") {
    const alternatives = (filter.alternatives ?? []).map((f) => compileFilter(f, domain));
    if (alternatives.length === 0 || alternatives.some((a) => a === undefined)) return undefined;
    return (min, max) => alternatives.some((a) => a?.(min, max) ?? true);
  }
  const values = filter.values.map((v) => domain.fromLiteral(v));
  if (values.some((v) => v === undefined)) return undefined;
  const lits = values.filter((v): v is Value => v !== undefined);
  const op = filter.op;
  return (min, max) => rangeMayMatch(domain, min, max, op, lits);
}

interface Domain {
  compare(a: Value, b: Value): number;
  fromLiteral(lit: Literal): Value | undefined;
  fromPartition(raw: string): Value | undefined;
  fromStat(raw: unknown, bound: "min" | "max"): Value | undefined;
}

/** Can any value in [min, max] (either bound may be unknown) satisfy `op` against the literals? */
function rangeMayMatch(
  domain: Domain,
  min: Value | undefined,
  max: Value | undefined,
  op: Exclude<ColumnFilter["op"], "or" | "not null">,
  lits: readonly Value[],
): boolean {
  const c = (a: Value | undefined, b: Value | undefined): number | undefined =>
    a === undefined || b === undefined ? undefined : domain.compare(a, b);
  const [v, w] = lits;
  const le = (a: Value | undefined, b: Value | undefined) => {
    const r = c(a, b);
    return r === undefined || r <= 0;
  };
  const lt = (a: Value | undefined, b: Value | undefined) => {
    const r = c(a, b);
    return r === undefined || r < 0;
  };
  switch (op) {
    case "=":
      return le(min, v) && le(v, max);
    case "<":
      return lt(min, v);
    case "<=":
      return le(min, v);
    case ">":
      return lt(v, max);
    case ">=":
      return le(v, max);
    case "in":
      return lits.some((x) => le(min, x) && le(x, max));
    case "between":
      return le(v, max) && le(min, w);
  }
}

const utf8 = new TextEncoder();
const numberCompare = (a: Value, b: Value) => (a < b ? -1 : a > b ? 1 : 0);

/** Delta's string stats may be truncated prefixes; a max that long is not a safe upper bound. */
const MAX_TRUSTED_STRING_STAT = 32;
/** Timestamp stats are truncated to ms and partition values may be in the writer's zone: widen by a day. */
const TIMESTAMP_SLACK_MS = 24 * 3600 * 1000 + 1;

function domainOf(type: DataType): Domain | undefined {
  switch (type.typeId) {
    case Type.Int:
    case Type.Float:
    case Type.Decimal: {
      const num = (x: unknown): number | undefined => {
        const n = typeof x === "number" ? x : typeof x === "string" && x.trim() !== "" ? Number(x) : Number.NaN;
        return Number.isFinite(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER ? n : undefined;
      };
      return {
        compare: numberCompare,
        fromLiteral: (lit) => (lit.kind === "number" || lit.kind === "string" ? num(lit.value) : undefined),
        fromPartition: num,
        fromStat: num,
      };
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return {
        // DuckDB orders strings by their UTF-8 bytes.
        compare: (a, b) => Buffer.compare(utf8.encode(String(a)), utf8.encode(String(b))),
        fromLiteral: (lit) => (lit.kind === "string" ? lit.value : undefined),
        fromPartition: (raw) => raw,
        fromStat: (raw, bound) =>
          typeof raw === "string" && (bound === "min" || raw.length < MAX_TRUSTED_STRING_STAT) ? raw : undefined,
      };
    case Type.Bool: {
      const bool = (x: unknown) => (x === true || x === "true" ? 1 : x === false || x === "false" ? 0 : undefined);
      return {
        compare: numberCompare,
        fromLiteral: (lit) => (lit.kind === "boolean" ? (lit.value ? 1 : 0) : undefined),
        fromPartition: bool,
        fromStat: bool,
      };
    }
    case Type.Date: {
      const day = (x: unknown): number | undefined => {
        if (typeof x !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(x)) return undefined;
        const ms = Date.parse(`${x.slice(0, 10)}T00:00:00Z`);
        return Number.isNaN(ms) ? undefined : ms / 86_400_000;
      };
      return {
        compare: numberCompare,
        fromLiteral: (lit) => (lit.kind === "date" || lit.kind === "string" ? day(lit.value) : undefined),
        fromPartition: day,
        fromStat: day,
      };
    }
    case Type.Timestamp: {
      const ms = (x: unknown): number | undefined => {
        if (typeof x !== "string") return undefined;
        const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)/.exec(x);
        if (m === null) return /^\d{4}-\d{2}-\d{2}$/.test(x) ? Date.parse(`${x}T00:00:00Z`) : undefined;
        const t = Date.parse(`${m[1]}T${m[2]}Z`);
        return Number.isNaN(t) ? undefined : t;
      };
      return {
        compare: numberCompare,
        fromLiteral: (lit) => (lit.kind === "timestamp" || lit.kind === "string" ? ms(lit.value) : undefined),
        // Partition values may be in the writer's local zone: do not skip on them.
        fromPartition: () => undefined,
        fromStat: (raw, bound) => {
          const t = ms(raw);
          return t === undefined ? undefined : bound === "min" ? t - TIMESTAMP_SLACK_MS : t + TIMESTAMP_SLACK_MS;
        },
      };
    }
    default:
      return undefined;
  }
}
