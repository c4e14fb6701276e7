import { CorruptTableError, InvalidArgumentError, UnsupportedFeatureError } from "@mlfusion/core";
import { isRecord } from "../log/actions.js";

// The Delta schema serialization (PROTOCOL.md "Schema Serialization Format").

/** A Delta primitive type name: string, long, integer, short, byte, float, double, boolean, binary, date,
 * timestamp, timestamp_ntz, decimal(p,s), variant. */
export type PrimitiveType = string;

export interface StructType {
  type: "struct";
  fields: StructField[];
}

export interface ArrayType {
  type: "array";
  elementType: DataType;
  containsNull: boolean;
}

export interface MapType {
  type: "map";
  keyType: DataType;
  valueType: DataType;
  valueContainsNull: boolean;
}

export type DataType = PrimitiveType | StructType | ArrayType | MapType;

export interface StructField {
  name: string;
  type: DataType;
  nullable: boolean;
  /** Free-form JSON metadata: column mapping ids and physical names, comments, invariants, generation. */
  metadata: Record<string, unknown>;
}

const PRIMITIVES = new Set([
  "string",
  "long",
  "integer",
  "short",
  "byte",
  "float",
  "double",
  "boolean",
  "binary",
  "date",
  "timestamp",
  "timestamp_ntz",
  "variant",
]);

const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$/;

/** Parses `metaData.schemaString`; CorruptTableError when it is not a valid Delta schema. */
export function parseSchemaString(schemaString: string): StructType {
  let value: unknown;
  try {
    value = JSON.parse(schemaString);
  } catch (error) {
    throw new CorruptTableError("The table schema (metaData.schemaString) is not valid JSON.", { cause: error });
  }
  const type = parseDataType(value, "schema");
  if (typeof type === "string" || type.type !== "struct") {
    throw new CorruptTableError("The table schema (metaData.schemaString) must be a struct.");
  }
  return type;
}

/** Serializes a schema as `metaData.schemaString`. */
export function serializeSchema(schema: StructType): string {
  return JSON.stringify(schema);
}

function parseDataType(value: unknown, where: string): DataType {
  if (typeof value === "string") {
    const lower = value.toLowerCase();
    if (PRIMITIVES.has(lower)) return lower;
    if (DECIMAL.test(lower)) return lower.replace(/\s+/g, "");
    if (lower === "decimal") return "decimal(10,0)";
    throw new UnsupportedFeatureError(value, `Column ${where} has type ${value}, which is not supported.`);
  }
  if (!isRecord(value)) throw new CorruptTableError(`Invalid type for ${where} in the table schema.`);
  switch (value.type) {
    case "struct": {
      if (!Array.isArray(value.fields)) throw new CorruptTableError(`Struct ${where} has no fields array.`);
      return { type: "struct", fields: value.fields.map((f, i) => parseField(f, `${where}.fields[${i}]`)) };
    }
    case "array":
      return {
        type: "array",
        elementType: parseDataType(value.elementType, `${where}.element`),
        containsNull: value.containsNull !== false,
      };
    case "map":
      return {
        type: "map",
        keyType: parseDataType(value.keyType, `${where}.key`),
        valueType: parseDataType(value.valueType, `${where}.value`),
        valueContainsNull: value.valueContainsNull !== false,
      };
    default:
      throw new CorruptTableError(`Unknown type ${JSON.stringify(value.type)} for ${where} in the table schema.`);
  }
}

function parseField(value: unknown, where: string): StructField {
  if (!isRecord(value) || typeof value.name !== "string") {
    throw new CorruptTableError(`Invalid field ${where} in the table schema.`);
  }
  return {
    name: value.name,
    type: parseDataType(value.type, value.name),
    nullable: value.nullable !== false,
    metadata: isRecord(value.metadata) ? value.metadata : {},
  };
}

/** Precision and scale of a `decimal(p,s)` type, or undefined for other types. */
export function decimalParams(type: DataType): { precision: number; scale: number } | undefined {
  if (typeof type !== "string") return undefined;
  const m = DECIMAL.exec(type);
  if (m === null) return undefined;
  return { precision: Number(m[1]), scale: Number(m[2]) };
}

/** A human-readable type name for messages ("long", "struct<a: long>", "array<string>"). */
export function typeToString(type: DataType): string {
  if (typeof type === "string") return type;
  switch (type.type) {
    case "struct":
      return `struct<${type.fields.map((f) => `${f.name}: ${typeToString(f.type)}`).join(", ")}>`;
    case "array":
      return `array<${typeToString(type.elementType)}>`;
    case "map":
      return `map<${typeToString(type.keyType)}, ${typeToString(type.valueType)}>`;
  }
}

/** Finds a top-level field by name; InvalidArgumentError listing the columns when absent. */
export function fieldByName(schema: StructType, name: string): StructField {
  const field = schema.fields.find((f) => f.name === name);
  if (field === undefined) {
    throw new InvalidArgumentError(
      `Column ${JSON.stringify(name)} does not exist; the table has columns ${schema.fields.map((f) => f.name).join(", ")}.`,
    );
  }
  return field;
}
