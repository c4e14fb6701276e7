import { UnsupportedFeatureError } from "@mlfusion/core";
import type { MetadataAction } from "../log/actions.js";
import type { DataType, StructField, StructType } from "../schema/delta-schema.js";

// PROTOCOL.md "Column Mapping": with mode `name` the data files, statistics and partition values use each field's
// physical name; with mode `id` the data files are matched by Parquet field id (falling back to the physical
// name). Nested struct fields carry their own physical names and ids.

export type ColumnMappingMode = "none" | "name" | "id";

const MODE_KEY = "delta.columnMapping.mode";
const PHYSICAL_NAME_KEY = "delta.columnMapping.physicalName";
const ID_KEY = "delta.columnMapping.id";

/** The table's column mapping mode (`delta.columnMapping.mode`, default none). */
export function columnMappingMode(metadata: MetadataAction): ColumnMappingMode {
  const mode = metadata.configuration[MODE_KEY] ?? "none";
  if (mode === "none" || mode === "name" || mode === "id") return mode;
  throw new UnsupportedFeatureError(
    `columnMapping.mode=${mode}`,
    `The table uses column mapping mode "${mode}", which this reader does not know; supported modes are none, name and id.`,
  );
}

/** The name of a field in data files, statistics and partition values. */
export function physicalName(field: StructField, mode: ColumnMappingMode): string {
  if (mode === "none") return field.name;
  const name = field.metadata[PHYSICAL_NAME_KEY];
  return typeof name === "string" && name !== "" ? name : field.name;
}

/** The column mapping id of a field (the Parquet field id in `id` mode), if any. */
export function columnMappingId(field: StructField): number | undefined {
  const id = field.metadata[ID_KEY];
  if (typeof id === "number") return id;
  if (typeof id === "string" && /^\d+$/.test(id)) return Number(id);
  return undefined;
}

/**
 * The physical keys (under column mapping) and the type of a possibly nested logical column path, or undefined
 * when the path names no column: what statistics and Parquet footers are keyed by.
 */
export function physicalPath(
  schema: StructType,
  path: readonly string[],
  mode: ColumnMappingMode,
): { keys: string[]; type: DataType } | undefined {
  let fields: StructField[] = schema.fields;
  const keys: string[] = [];
  let type: DataType | undefined;
  for (const name of path) {
    const field = fields.find((f) => f.name === name);
    if (field === undefined) return undefined;
    keys.push(physicalName(field, mode));
    type = field.type;
    fields = typeof type !== "string" && type.type === "struct" ? type.fields : [];
  }
  return type === undefined ? undefined : { keys, type };
}
