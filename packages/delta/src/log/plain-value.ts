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
