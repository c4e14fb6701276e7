import { DataType, type Vector } from "apache-arrow";

// Converts apache-arrow cell values (struct rows, map rows, vectors, bigints) into plain JSON-like values, so
// checkpoint rows can be validated by the same parser as JSON commit lines.

/** A plain value: what JSON.parse would give, plus numbers for 64-bit integers. */
export type PlainValue = null | boolean | number | string | PlainValue[] | { [key: string]: PlainValue };

interface JsonConvertible {
  toJSON(): unknown;
}

function hasToJSON(value: object): value is JsonConvertible {
  return "toJSON" in value && typeof value.toJSON === "function";
}

/**
 * Converts one Arrow cell value. 64-bit integers become numbers (log fields such as sizes and timestamps fit in
 * 2^53); binary becomes a latin1 string; struct and map rows become objects; lists become arrays.
 */
export function arrowValueToPlain(value: unknown): PlainValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "boolean":
    case "number":
    case "string":
      return value;
    case "bigint":
      return Number(value);
    case "object":
      break;
    default:
      return null;
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString("latin1");
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(arrowValueToPlain);
  if (hasToJSON(value)) {
    const json = value.toJSON();
    if (Array.isArray(json)) return json.map(arrowValueToPlain);
    if (typeof json === "object" && json !== null) return objectToPlain(json);
    return arrowValueToPlain(json);
  }
  return objectToPlain(value);
}

function objectToPlain(value: object): { [key: string]: PlainValue } {
  const out: { [key: string]: PlainValue } = {};
  for (const [k, v] of Object.entries(value)) out[k] = arrowValueToPlain(v);
  return out;
}

/**
 * A reader of plain values for one column, built once per batch: struct columns are read field by field from
 * their child vectors (no row proxies), which makes reading large checkpoints several times faster.
 */
export function plainReader(vector: Vector): (row: number) => PlainValue {
  const type = vector.type;
  if (DataType.isStruct(type)) {
    const children = type.children.map((field, i) => {
      const child = vector.getChildAt(i);
      return { name: field.name, read: child === null ? () => null : plainReader(child) };
    });
    return (row) => {
      if (!vector.isValid(row)) return null;
      const out: { [key: string]: PlainValue } = {};
      for (const c of children) {
        const v = c.read(row);
        if (v !== null) out[c.name] = v;
      }
      return out;
    };
  }
  if (DataType.isMap(type) && vector.data.length === 1 && vector.data[0]?.offset === 0) {
    // Maps (partitionValues, tags, configuration) straight from the offsets and the key/value children.
    const offsets = vector.data[0]?.valueOffsets;
    const entries = vector.getChildAt(0);
    const keys = entries?.getChildAt(0);
    const values = entries?.getChildAt(1);
    if (offsets instanceof Int32Array && keys != null && values != null) {
      const readKey = plainReader(keys);
      const readValue = plainReader(values);
      return (row) => {
        if (!vector.isValid(row)) return null;
        const out: { [key: string]: PlainValue } = {};
        for (let j = offsets[row] ?? 0; j < (offsets[row + 1] ?? 0); j++) out[String(readKey(j))] = readValue(j);
        return out;
      };
    }
  }
  if (DataType.isUtf8(type) || DataType.isBool(type) || DataType.isFloat(type) || DataType.isInt(type)) {
    return (row) => {
      const v: unknown = vector.get(row);
      if (v === null || v === undefined) return null;
      return typeof v === "bigint"
        ? Number(v)
        : typeof v === "string" || typeof v === "number" || typeof v === "boolean"
          ? v
          : null;
    };
  }
  return (row) => (vector.isValid(row) ? arrowValueToPlain(vector.get(row)) : null);
}
