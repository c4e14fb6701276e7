import { InvalidArgumentError } from "@mlfusion/core";
import { type DataType, decimalParams } from "../schema/delta-schema.js";

// Typed values of the Delta primitive types in one comparable representation, shared by filters, statistics
// and partition values:
//   byte/short/integer/float/double -> number; long -> bigint (number accepted); decimal -> DecimalValue;
//   string -> string; binary -> Uint8Array; boolean -> boolean; date -> number (days since 1970-01-01);
//   timestamp, timestamp_ntz -> bigint (microseconds since 1970-01-01, UTC or wall clock).

/** An exact decimal: `unscaled / 10^scale`. */
export interface DecimalValue {
  unscaled: bigint;
  scale: number;
}

export type Scalar = null | boolean | number | bigint | string | Uint8Array | DecimalValue;

export function isDecimalValue(v: Scalar): v is DecimalValue {
  return typeof v === "object" && v !== null && !(v instanceof Uint8Array);
}

/** Delta primitive types that support ordering comparisons. */
export function isComparableType(type: DataType): boolean {
  return typeof type === "string" && type !== "variant";
}

/**
 * Compares two non-null scalars of the same type: negative, zero or positive. NaN sorts above every number and
 * equals itself (Spark's semantics).
 */
export function compareScalars(a: Scalar, b: Scalar): number {
  if (isDecimalValue(a) || isDecimalValue(b)) {
    const x = toDecimal(a);
    const y = toDecimal(b);
    const scale = Math.max(x.scale, y.scale);
    const xa = x.unscaled * 10n ** BigInt(scale - x.scale);
    const ya = y.unscaled * 10n ** BigInt(scale - y.scale);
    return xa < ya ? -1 : xa > ya ? 1 : 0;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const d = (a[i] ?? 0) - (b[i] ?? 0);
      if (d !== 0) return d;
    }
    return a.length - b.length;
  }
  if (typeof a === "number" && typeof b === "number") {
    const an = Number.isNaN(a);
    const bn = Number.isNaN(b);
    if (an || bn) return an && bn ? 0 : an ? 1 : -1;
  }
  if (a === null || b === null || a instanceof Uint8Array || b instanceof Uint8Array) return 0;
  // number and bigint compare exactly with < and > in JavaScript; strings compare by UTF-16 code units, which
  // orders like UTF-8 bytes except for surrogate pairs against U+E000-U+FFFF.
  return a < b ? -1 : a > b ? 1 : 0;
}

function toDecimal(v: Scalar): DecimalValue {
  if (isDecimalValue(v)) return v;
  if (typeof v === "bigint") return { unscaled: v, scale: 0 };
  if (typeof v === "number") return parseDecimal(String(v)) ?? { unscaled: 0n, scale: 0 };
  if (typeof v === "string") return parseDecimal(v) ?? { unscaled: 0n, scale: 0 };
  return { unscaled: 0n, scale: 0 };
}

/** Parses decimal text ("-12.340", "1e3") exactly; undefined when it is not a number. */
export function parseDecimal(text: string): DecimalValue | undefined {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (m === null || ((m[2] ?? "") === "" && (m[3] ?? "") === "")) return undefined;
  const digits = `${m[2] ?? ""}${m[3] ?? ""}`;
  let scale = (m[3] ?? "").length - Number(m[4] ?? 0);
  let unscaled = BigInt(digits === "" ? "0" : digits);
  if (scale < 0) {
    unscaled *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { unscaled: m[1] === "-" ? -unscaled : unscaled, scale };
}

const DATE = /^\s*([+-]?\d{4,})-(\d{1,2})-(\d{1,2})/;
const TIMESTAMP =
  /^\s*([+-]?\d{4,})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*$/i;

/** Days since 1970-01-01 of a `YYYY-MM-DD` date (a time part, if any, is ignored); undefined when invalid. */
export function parseDateDays(text: string): number | undefined {
  const m = DATE.exec(text);
  if (m === null) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 86_400_000);
}

/**
 * Microseconds since the epoch of an ISO-8601-like timestamp (`2024-01-01`, `2024-01-01 10:00:00.123456`,
 * `2024-01-01T10:00:00Z`, `...+02:00`). Without a zone the time is taken as UTC (for timestamp_ntz: as wall
 * clock, which is the same number). undefined when invalid.
 */
export function parseTimestampMicros(text: string): bigint | undefined {
  const m = TIMESTAMP.exec(text);
  if (m === null) return undefined;
  const ms = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
  );
  if (Number.isNaN(ms)) return undefined;
  const fraction = (m[7] ?? "").padEnd(6, "0").slice(0, 6);
  let micros = BigInt(ms) * 1000n + BigInt(fraction === "" ? "0" : fraction);
  const zone = m[8];
  if (zone !== undefined && zone.toUpperCase() !== "Z" && zone.toUpperCase() !== "UTC") {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (z === null) return undefined;
    const offsetMinutes = Number(z[2]) * 60 + Number(z[3] ?? 0);
    micros -= BigInt((z[1] === "-" ? -1 : 1) * offsetMinutes) * 60_000_000n;
  }
  return micros;
}

/**
 * Converts a value given as text (a filter literal, a partition value, a JSON statistic) to the scalar of a
 * Delta type. undefined when the text is not a valid value of the type.
 */
export function scalarFromText(text: string, type: DataType): Scalar | undefined {
  if (typeof type !== "string") return undefined;
  switch (type) {
    case "string":
      return text;
    case "binary":
      return new TextEncoder().encode(text);
    case "boolean": {
      const lower = text.trim().toLowerCase();
      return lower === "true" ? true : lower === "false" ? false : undefined;
    }
    case "byte":
    case "short":
    case "integer": {
      const n = Number(text);
      return text.trim() !== "" && Number.isInteger(n) ? n : undefined;
    }
    case "long": {
      const t = text.trim();
      if (!/^[+-]?\d+$/.test(t)) {
        const n = Number(t);
        return t !== "" && Number.isInteger(n) ? BigInt(n) : undefined;
      }
      return BigInt(t);
    }
    case "float":
    case "double": {
      const t = text.trim();
      if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
      if (/^nan$/i.test(t)) return Number.NaN;
      const n = Number(t);
      return t !== "" && !Number.isNaN(n) ? n : undefined;
    }
    case "date":
      return parseDateDays(text);
    case "timestamp":
    case "timestamp_ntz":
      return parseTimestampMicros(text);
    default: {
      if (decimalParams(type) !== undefined) return parseDecimal(text);
      return undefined;
    }
  }
}

/** Converts a JSON statistics value (number, string or boolean as written in `add.stats`) to a scalar. */
export function scalarFromJson(value: unknown, type: DataType): Scalar | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") return scalarFromText(value, type);
  if (typeof value === "boolean") return type === "boolean" ? value : undefined;
  if (typeof value === "bigint") return scalarFromText(String(value), type);
  if (typeof value === "number") {
    if (type === "date" || type === "timestamp" || type === "timestamp_ntz") return undefined;
    if (type === "long") return Number.isInteger(value) ? BigInt(value) : undefined;
    if (typeof type === "string" && decimalParams(type) !== undefined) return parseDecimal(String(value));
    return value;
  }
  return undefined;
}

/** Formats a scalar for messages. */
export function scalarToString(v: Scalar): string {
  if (v === null) return "NULL";
  if (isDecimalValue(v)) {
    const neg = v.unscaled < 0n;
    const digits = (neg ? -v.unscaled : v.unscaled).toString().padStart(v.scale + 1, "0");
    const int = digits.slice(0, digits.length - v.scale);
    const frac = v.scale > 0 ? `.${digits.slice(digits.length - v.scale)}` : "";
    return `${neg ? "-" : ""}${int}${frac}`;
  }
  if (v instanceof Uint8Array) return `X'${Buffer.from(v).toString("hex")}'`;
  return String(v);
}

/** Raises the InvalidArgumentError for a literal that does not fit a column's type. */
export function literalTypeError(text: string, type: DataType, column: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `The value ${text} cannot be compared with column ${column} of type ${typeof type === "string" ? type : type.type}; write a ${typeof type === "string" ? type : type.type} value${type === "timestamp" || type === "timestamp_ntz" ? " such as '2024-01-01T00:00:00Z'" : type === "date" ? " such as '2024-01-01'" : ""}.`,
    { details: { column, type } },
  );
}
