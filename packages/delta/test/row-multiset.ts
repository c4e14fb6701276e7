import { DataType, type RecordBatch, Vector } from "apache-arrow";
import { leafReader } from "../src/expression/arrow-scalars.js";
import { scalarToString } from "../src/expression/scalar.js";

// Canonical rows for multiset comparison (delta-conformance README "How to compare"): column order, field
// nullability and metadata, string/large-string/view and dictionary encodings are ignored; timestamps compare as
// exact microseconds, dates as days, decimals as exact text.

type Canonical = null | boolean | number | string | Canonical[] | { [key: string]: Canonical };

/** A canonical reader for one column, built once per batch. */
function canonicalReader(vector: Vector): (row: number) => Canonical {
  const type = vector.type;
  if (DataType.isStruct(type)) {
    const children = type.children.map((field, i) => {
      const child = vector.getChildAt(i);
      return { name: field.name, read: child === null ? () => null : canonicalReader(child) };
    });
    return (row) => {
      if (!vector.isValid(row)) return null;
      const out: { [key: string]: Canonical } = {};
      for (const c of children) out[c.name] = c.read(row);
      return out;
    };
  }
  if (DataType.isList(type) || DataType.isMap(type) || DataType.isLargeList(type) || DataType.isFixedSizeList(type)) {
    return (row) => {
      if (!vector.isValid(row)) return null;
      const value: unknown = vector.get(row);
      if (value === null || value === undefined) return null;
      if (DataType.isMap(type) || !(value instanceof Vector)) return plain(value);
      const read = canonicalReader(value);
      const out: Canonical[] = [];
      for (let i = 0; i < value.length; i++) out.push(read(i));
      return out;
    };
  }
  if (DataType.isFloat(type)) {
    return (row) => {
      if (!vector.isValid(row)) return null;
      const v = Number(vector.get(row));
      return Number.isNaN(v) ? "NaN" : Object.is(v, -0) ? 0 : v;
    };
  }
  if (
    DataType.isBinary(type) ||
    DataType.isLargeBinary(type) ||
    DataType.isFixedSizeBinary(type) ||
    DataType.isUtf8(type) ||
    DataType.isLargeUtf8(type) ||
    DataType.isDictionary(type) ||
    DataType.isBool(type)
  ) {
    return (row) => (vector.isValid(row) ? plain(vector.get(row)) : null);
  }
  const scalars = leafReader(vector);
  return (row) => {
    const scalar = scalars(row);
    if (scalar === null) return null;
    if (typeof scalar === "bigint") return `${scalar}`;
    if (typeof scalar === "number" || typeof scalar === "string" || typeof scalar === "boolean") return scalar;
    return scalarToString(scalar);
  };
}

function plain(value: unknown): Canonical {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return `${value}`;
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : value;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString("hex")}`;
  if (typeof value === "object" && "toJSON" in value && typeof value.toJSON === "function") {
    return plain(value.toJSON());
  }
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object") {
    const out: { [key: string]: Canonical } = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return String(value);
}

function sortKeys(value: Canonical): Canonical {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: { [key: string]: Canonical } = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key] ?? null);
    return out;
  }
  return value;
}

/** Adds the canonical form of every row (column values in column-name order, comma-separated JSON) of `batch` to `counts`. */
export function addRows(counts: Map<string, number>, batch: RecordBatch, columns?: readonly string[]): void {
  for (const key of rowKeys(batch, columns)) counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** The canonical form of every row of `batch`, in row order (for comparisons where order matters). */
export function rowKeys(batch: RecordBatch, columns?: readonly string[]): string[] {
  const keys: string[] = [];
  const names = columns ?? batch.schema.fields.map((f) => f.name);
  const readers = names.map((name) => {
    const vector = batch.getChild(name);
    return vector === null ? () => null : canonicalReader(vector);
  });
  const order = names.map((name, i) => ({ name, i })).sort((a, b) => (a.name < b.name ? -1 : 1));
  const ordered = order.map(({ i }) => readers[i] ?? (() => null));
  for (let row = 0; row < batch.numRows; row++) {
    let key = "";
    for (let c = 0; c < ordered.length; c++) {
      const value = ordered[c]?.(row) ?? null;
      key += `${c === 0 ? "" : ","}${typeof value === "object" && value !== null ? JSON.stringify(sortKeys(value)) : JSON.stringify(value)}`;
    }
    keys.push(key);
  }
  return keys;
}

/** The rows present a different number of times in `a` and `b` (empty when the multisets are equal). */
export function multisetDifference(a: Map<string, number>, b: Map<string, number>, limit = 5): string[] {
  const out: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key) ?? 0;
    const y = b.get(key) ?? 0;
    if (x !== y) out.push(`${x} vs ${y}: ${key}`);
    if (out.length >= limit) break;
  }
  return out;
}
