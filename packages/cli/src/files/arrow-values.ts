import { type DataType, type Decimal, type Field, type Timestamp, Type, type Vector } from "apache-arrow";

/**
 * Converts one Arrow value (as apache-arrow returns it from `vector.get(i)`) to a plain JSON value: bigint
 * becomes a number when it is safe and a string otherwise, timestamps and dates become ISO strings, decimals
 * exact decimal strings, binary base64, structs objects, lists arrays, maps objects (string keys) .
 */
export function toJsonValue(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case Type.Int:
    case Type.Int64:
    case Type.Uint64: {
      if (typeof value === "bigint") {
        return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
          ? Number(value)
          : value.toString();
      }
      return value;
    }
    case Type.Float:
    case Type.Float16:
    case Type.Float32:
    case Type.Float64:
      return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
    case Type.Decimal:
      return decimalToString(value, type as Decimal);
    case Type.Date:
    case Type.DateDay:
    case Type.DateMillisecond:
      return isoDate(value);
    case Type.Timestamp:
    case Type.TimestampSecond:
    case Type.TimestampMillisecond:
    case Type.TimestampMicrosecond:
    case Type.TimestampNanosecond:
      return isoTimestamp(value, type as Timestamp);
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
      return value instanceof Uint8Array ? Buffer.from(value).toString("base64") : String(value);
    case Type.Struct: {
      const out: Record<string, unknown> = {};
      const row = value as Record<string, unknown>;
      for (const child of type.children as Field[]) out[child.name] = toJsonValue(row[child.name], child.type);
      return out;
    }
    case Type.List:
    case Type.LargeList:
    case Type.FixedSizeList: {
      const child = (type.children as Field[])[0];
      const items = value as Vector;
      const out: unknown[] = [];
      for (let i = 0; i < items.length; i++) out.push(child ? toJsonValue(items.get(i), child.type) : items.get(i));
      return out;
    }
    case Type.Map: {
      const entries = (type.children as Field[])[0];
      const valueType = (entries?.type.children as Field[] | undefined)?.[1]?.type;
      const out: Record<string, unknown> = {};
      const map = value as Iterable<[unknown, unknown]>;
      for (const [k, v] of map) out[String(k)] = valueType ? toJsonValue(v, valueType) : v;
      return out;
    }
    case Type.Dictionary:
      return toJsonValue(value, (type as unknown as { dictionary: DataType }).dictionary);
    default:
      return typeof value === "bigint" ? value.toString() : value;
  }
}

/** A display string for one value: what CSV cells and the terminal table show. Null becomes "". */
export function toDisplayString(value: unknown, type: DataType): string {
  const json = toJsonValue(value, type);
  if (json === null) return "";
  if (typeof json === "string") return json;
  if (typeof json === "number" || typeof json === "boolean") return String(json);
  return JSON.stringify(json);
}

function isoDate(value: unknown): string {
  const ms = value instanceof Date ? value.getTime() : Number(value);
  return new Date(ms).toISOString().slice(0, 10);
}

function isoTimestamp(value: unknown, type: Timestamp): string {
  // apache-arrow returns epoch milliseconds as a (fractional) number for every unit; microseconds stay exact
  // in a double for any realistic date, nanoseconds are shown to the microsecond.
  const ms = typeof value === "bigint" ? Number(value) : Number(value);
  const whole = Math.floor(ms);
  let iso = new Date(whole).toISOString();
  const micros = Math.round((ms - whole) * 1000);
  if (type.unit >= 2 && micros > 0) {
    iso = iso.replace(/\.(\d{3})Z$/, (_, m: string) => `.${m}${String(micros).padStart(3, "0")}Z`);
  }
  return type.timezone ? iso : iso.replace(/Z$/, "");
}

function decimalToString(value: unknown, type: Decimal): string {
  // apache-arrow yields decimals as little-endian 32-bit word arrays.
  let big: bigint;
  if (value instanceof Uint32Array || value instanceof Int32Array) {
    const words = new Uint32Array(value.buffer, value.byteOffset, value.length);
    big = 0n;
    for (let i = words.length - 1; i >= 0; i--) big = (big << 32n) | BigInt(words[i] ?? 0);
    const bits = BigInt(words.length * 32);
    if (big >> (bits - 1n) === 1n) big -= 1n << bits;
  } else if (typeof value === "bigint") {
    big = value;
  } else {
    return String(value);
  }
  const negative = big < 0n;
  const digits = (negative ? -big : big).toString().padStart(type.scale + 1, "0");
  const body = type.scale > 0 ? `${digits.slice(0, -type.scale)}.${digits.slice(-type.scale)}` : digits;
  return negative ? `-${body}` : body;
}
