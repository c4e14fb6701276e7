import { InvalidArgumentError, UnsupportedFeatureError } from "@mlfusion/core";
import {
  type DataType as ArrowDataType,
  Binary,
  Bool,
  DateDay,
  DateMillisecond,
  Decimal,
  Dictionary,
  Field,
  FixedSizeBinary,
  Float16,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  LargeBinary,
  LargeUtf8,
  List,
  Map_,
  Schema,
  Struct,
  Timestamp,
  TimeUnit,
  Type,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
} from "apache-arrow";
import { type DataType, decimalParams, type StructField, type StructType } from "./delta-schema.js";

/**
 * Field-metadata key under which the writer records the exact Arrow type of a column whose Arrow type has no
 * Delta equivalent (unsigned integers, large strings, dictionaries, other timestamp units). The Delta schema
 * and the Parquet files hold the nearest Delta type, which every engine reads; our reader casts back to the
 * recorded type, so Arrow data round-trips exactly through our own reader.
 */
export const ARROW_TYPE_KEY = "mlfusion.arrowType";

/** Options for {@link toArrowSchema}. */
export interface ToArrowOptions {
  /** Apply {@link ARROW_TYPE_KEY} hints (the user-facing schema). False gives the physical Delta types. */
  applyArrowTypeHints?: boolean;
}

/**
 * Converts a Delta schema to an Arrow schema. timestamp -> Timestamp(us, "UTC"); timestamp_ntz ->
 * Timestamp(us); date -> Date32; decimal(p,s) -> Decimal128; array -> List; map -> Map.
 */
export function toArrowSchema(schema: StructType, options: ToArrowOptions = {}): Schema {
  return new Schema(schema.fields.map((f) => toArrowField(f, options.applyArrowTypeHints ?? true)));
}

/** Converts one Delta field to an Arrow field, carrying its metadata as strings. */
export function toArrowField(field: StructField, applyHints = true): Field {
  const hint = applyHints ? field.metadata[ARROW_TYPE_KEY] : undefined;
  const type =
    typeof hint === "string" ? arrowTypeFromHint(hint, field.type, applyHints) : toArrowType(field.type, applyHints);
  const metadata = new Map<string, string>();
  for (const [k, v] of Object.entries(field.metadata)) {
    // Once applied, the hint is the field's type itself: users see the type, not our bookkeeping.
    if (applyHints && k === ARROW_TYPE_KEY) continue;
    metadata.set(k, typeof v === "string" ? v : JSON.stringify(v));
  }
  return new Field(field.name, type, field.nullable, metadata);
}

/** The Arrow type for a Delta type. */
export function toArrowType(type: DataType, applyHints = true): ArrowDataType {
  if (typeof type === "string") {
    switch (type) {
      case "string":
        return new Utf8();
      case "long":
        return new Int64();
      case "integer":
        return new Int32();
      case "short":
        return new Int16();
      case "byte":
        return new Int8();
      case "float":
        return new Float32();
      case "double":
        return new Float64();
      case "boolean":
        return new Bool();
      case "binary":
        return new Binary();
      case "date":
        return new DateDay();
      case "timestamp":
        return new Timestamp(TimeUnit.MICROSECOND, "UTC");
      case "timestamp_ntz":
        return new Timestamp(TimeUnit.MICROSECOND, null);
      default: {
        const d = decimalParams(type);
        if (d !== undefined) return new Decimal(d.scale, d.precision, 128);
        throw new UnsupportedFeatureError(type, `Type ${type} is not supported.`);
      }
    }
  }
  switch (type.type) {
    case "struct":
      return new Struct(type.fields.map((f) => toArrowField(f, applyHints)));
    case "array":
      return new List(new Field("element", toArrowType(type.elementType, applyHints), type.containsNull));
    case "map": {
      const entries = new Struct<{ key: ArrowDataType; value: ArrowDataType }>([
        new Field("key", toArrowType(type.keyType, applyHints), false),
        new Field("value", toArrowType(type.valueType, applyHints), type.valueContainsNull),
      ]);
      return new Map_(new Field("key_value", entries, false), false);
    }
  }
}

function arrowTypeFromHint(hint: string, deltaType: DataType, applyHints: boolean): ArrowDataType {
  const simple: Record<string, () => ArrowDataType> = {
    uint8: () => new Uint8(),
    uint16: () => new Uint16(),
    uint32: () => new Uint32(),
    uint64: () => new Uint64(),
    float16: () => new Float16(),
    large_utf8: () => new LargeUtf8(),
    large_binary: () => new LargeBinary(),
    date64: () => new DateMillisecond(),
  };
  const make = simple[hint];
  if (make !== undefined) return make();
  const ts = /^timestamp\[(s|ms|us|ns)(?:,(.*))?\]$/.exec(hint);
  if (ts !== null) {
    const unit = { s: TimeUnit.SECOND, ms: TimeUnit.MILLISECOND, us: TimeUnit.MICROSECOND, ns: TimeUnit.NANOSECOND }[
      ts[1] as "s" | "ms" | "us" | "ns"
    ];
    return new Timestamp(unit, ts[2] === undefined || ts[2] === "" ? null : ts[2]);
  }
  const dict = /^dictionary\[(int8|int16|int32|int64|uint8|uint16|uint32|uint64)\]$/.exec(hint);
  if (dict !== null) {
    const indices = {
      int8: Int8,
      int16: Int16,
      int32: Int32,
      int64: Int64,
      uint8: Uint8,
      uint16: Uint16,
      uint32: Uint32,
      uint64: Uint64,
    }[dict[1] as "int8"];
    return new Dictionary(toArrowType(deltaType, applyHints), new indices());
  }
  const fsb = /^fixed_size_binary\[(\d+)\]$/.exec(hint);
  if (fsb !== null) return new FixedSizeBinary(Number(fsb[1]));
  // An unknown hint (written by a newer version): the Delta type is always a faithful fallback.
  return toArrowType(deltaType, applyHints);
}

/**
 * Converts an Arrow schema to a Delta schema, recording an {@link ARROW_TYPE_KEY} hint wherever the Delta type
 * is only the nearest equivalent. InvalidArgumentError names every column whose type cannot be stored.
 */
export function fromArrowSchema(schema: Schema): StructType {
  const problems: string[] = [];
  const fields = schema.fields.map((f) => fromArrowField(f, f.name, problems));
  if (problems.length > 0) {
    throw new InvalidArgumentError(`Cannot store these columns in a Delta table: ${problems.join("; ")}.`, {
      details: { problems },
    });
  }
  return { type: "struct", fields };
}

function fromArrowField(field: Field, path: string, problems: string[]): StructField {
  const metadata: Record<string, unknown> = {};
  for (const [k, v] of field.metadata) {
    // Column-mapping ids are numbers in Delta metadata; everything else we carry as the string it was.
    metadata[k] = k === "delta.columnMapping.id" && /^\d+$/.test(v) ? Number(v) : v;
  }
  const { type, hint } = fromArrowType(field.type, path, problems);
  if (hint !== undefined) metadata[ARROW_TYPE_KEY] = hint;
  else delete metadata[ARROW_TYPE_KEY];
  return { name: field.name, type, nullable: field.nullable, metadata };
}

function fromArrowType(type: ArrowDataType, path: string, problems: string[]): { type: DataType; hint?: string } {
  switch (type.typeId) {
    case Type.Int:
    case Type.Int8:
    case Type.Int16:
    case Type.Int32:
    case Type.Int64:
    case Type.Uint8:
    case Type.Uint16:
    case Type.Uint32:
    case Type.Uint64: {
      const t = type as Int8 | Int16 | Int32 | Int64 | Uint8 | Uint16 | Uint32 | Uint64;
      if (t.isSigned) {
        return { type: { 8: "byte", 16: "short", 32: "integer", 64: "long" }[t.bitWidth] ?? "long" };
      }
      // Unsigned integers widen losslessly to the next signed type; uint64 needs decimal(20,0).
      const widened = { 8: "short", 16: "integer", 32: "long", 64: "decimal(20,0)" }[t.bitWidth] ?? "decimal(20,0)";
      return { type: widened, hint: `uint${t.bitWidth}` };
    }
    case Type.Float:
    case Type.Float16:
    case Type.Float32:
    case Type.Float64: {
      const t = type as Float16 | Float32 | Float64;
      if (t.precision === 0) return { type: "float", hint: "float16" };
      return { type: t.precision === 1 ? "float" : "double" };
    }
    case Type.Bool:
      return { type: "boolean" };
    case Type.Utf8:
      return { type: "string" };
    case Type.LargeUtf8:
      return { type: "string", hint: "large_utf8" };
    case Type.Binary:
      return { type: "binary" };
    case Type.LargeBinary:
      return { type: "binary", hint: "large_binary" };
    case Type.FixedSizeBinary:
      return { type: "binary", hint: `fixed_size_binary[${(type as FixedSizeBinary).byteWidth}]` };
    case Type.Decimal: {
      const t = type as Decimal;
      if (t.precision > 38 || t.bitWidth > 128) {
        problems.push(`${path} is decimal with precision ${t.precision} (Delta allows at most 38)`);
      }
      return { type: `decimal(${t.precision},${t.scale})` };
    }
    case Type.Date:
    case Type.DateDay:
    case Type.DateMillisecond: {
      const t = type as DateDay | DateMillisecond;
      return t.unit === 0 ? { type: "date" } : { type: "date", hint: "date64" };
    }
    case Type.Timestamp:
    case Type.TimestampSecond:
    case Type.TimestampMillisecond:
    case Type.TimestampMicrosecond:
    case Type.TimestampNanosecond: {
      const t = type as Timestamp;
      const unit = (["s", "ms", "us", "ns"] as const)[t.unit] ?? "us";
      const tz = t.timezone ?? null;
      const deltaType = tz === null || tz === "" ? "timestamp_ntz" : "timestamp";
      const exact = unit === "us" && (tz === null || tz === "" || tz === "UTC");
      return exact ? { type: deltaType } : { type: deltaType, hint: `timestamp[${unit}${tz ? `,${tz}` : ""}]` };
    }
    case Type.Dictionary: {
      const t = type as Dictionary;
      const inner = fromArrowType(t.dictionary, path, problems);
      const indexName = `${t.indices.isSigned ? "int" : "uint"}${t.indices.bitWidth}`;
      return { type: inner.type, hint: `dictionary[${indexName}]` };
    }
    case Type.List:
    case Type.FixedSizeList: {
      const child = type.children[0];
      if (child === undefined) {
        problems.push(`${path} is a list without an element type`);
        return { type: "string" };
      }
      const element = fromArrowType(child.type, `${path}.element`, problems);
      return { type: { type: "array", elementType: element.type, containsNull: child.nullable } };
    }
    case Type.Struct: {
      const fields = type.children.map((c: Field) => fromArrowField(c, `${path}.${c.name}`, problems));
      return { type: { type: "struct", fields } };
    }
    case Type.Map: {
      const entries = type.children[0];
      const key = entries?.type.children[0];
      const value = entries?.type.children[1];
      if (key === undefined || value === undefined) {
        problems.push(`${path} is a map without key and value types`);
        return { type: "string" };
      }
      return {
        type: {
          type: "map",
          keyType: fromArrowType(key.type, `${path}.key`, problems).type,
          valueType: fromArrowType(value.type, `${path}.value`, problems).type,
          valueContainsNull: value.nullable,
        },
      };
    }
    default:
      problems.push(`${path} has Arrow type ${String(type)}, which Delta cannot store`);
      return { type: "string" };
  }
}
