import { UnsupportedFeatureError } from "@mlfusion/core";
import { type DataType, type Field, Type } from "apache-arrow";
import { type DataFile, type DatasetSnapshot, formatAssetKey, type PhysicalType } from "./dataset-catalog.js";
import { quoteIdentifier, quoteLiteral } from "./sql/table-rewrite.js";

/**
 * The SELECT that reads a dataset version from exactly `files`: one `read_parquet` per distinct set of partition
 * values (the values come from the log, as literals), joined by UNION ALL, each column cast to its logical type so
 * that files written under older schemas line up. A file with a deletion vector is read on its own with
 * `file_row_number` and an anti-join against its deleted rows (the temp table named in `deletedRowTables`).
 * No files: an empty relation of the schema.
 */
export function scanViewSql(
  snapshot: DatasetSnapshot,
  files: readonly DataFile[],
  deletedRowTables: ReadonlyMap<DataFile, string> = new Map(),
): string {
  const fields = snapshot.schema.fields;
  if (files.length === 0) {
    const columns = fields.map((f) => `CAST(NULL AS ${duckdbTypeOf(f.type, f.name)}) AS ${quoteIdentifier(f.name)}`);
    return `SELECT ${columns.join(", ")} WHERE false`;
  }
  const globbing = files.find((f) => /[*?[]/.test(f.path));
  if (globbing !== undefined) {
    // DuckDB expands these characters as a glob pattern; reading such a path could read other files.
    throw new UnsupportedFeatureError(
      "globCharactersInPath",
      `Dataset ${formatAssetKey(snapshot.key)} has a data file whose path contains a glob character (${globbing.path}); SQL queries cannot read it yet.`,
    );
  }
  const groups = new Map<string, DataFile[]>();
  const selects: string[] = [];
  const partitionSet = new Set(snapshot.partitionColumns);
  const dataColumns = fields.filter((f) => !partitionSet.has(f.name)).map((f) => f.name);
  for (const file of files) {
    if (file.deletionVector !== undefined) {
      const table = deletedRowTables.get(file);
      if (table === undefined) {
        throw new UnsupportedFeatureError(
          "deletionVectors",
          `Dataset ${formatAssetKey(snapshot.key)} has a deletion vector that was not loaded; retry the query.`,
        );
      }
      const source = `read_parquet([${quoteLiteral(file.path)}], file_row_number = true)`;
      const filter = `WHERE file_row_number NOT IN (SELECT row_index FROM ${table})`;
      selects.push(`SELECT ${selectList(snapshot, file)} FROM ${source} ${filter}`);
      continue;
    }
    const key = JSON.stringify(snapshot.partitionColumns.map((c) => file.partitionValues[c] ?? null));
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [file]);
    else group.push(file);
  }
  for (const group of groups.values()) {
    const first = group[0];
    if (first === undefined) continue;
    const paths = group.map((g) => quoteLiteral(g.path)).join(", ");
    // union_by_name reads every file's footer when the query is bound; it is needed only when some file may lack a
    // column (written before a schema change). Stats list the columns a file was written with.
    const union = group.some((f) => !hasAllColumns(f, dataColumns)) ? ", union_by_name = true" : "";
    selects.push(`SELECT ${selectList(snapshot, first)} FROM read_parquet([${paths}]${union})`);
  }
  return selects.join(" UNION ALL ");
}

/** True when the file's stats (nullCount, written from the file itself) name every data column. */
function hasAllColumns(file: DataFile, columns: readonly string[]): boolean {
  const nulls = file.stats?.nullCount;
  return nulls !== undefined && columns.every((c) => c in nulls);
}

/** The projection of one file group: data columns by physical name, partition columns as literals. */
function selectList(snapshot: DatasetSnapshot, file: DataFile): string {
  const partitions = new Set(snapshot.partitionColumns);
  return snapshot.schema.fields
    .map((f) => {
      const type = duckdbTypeOf(f.type, f.name);
      if (partitions.has(f.name)) {
        return `${partitionLiteral(file.partitionValues[f.name] ?? null, f, type)} AS ${quoteIdentifier(f.name)}`;
      }
      const physical = quoteIdentifier(snapshot.physicalNames?.get(f.name) ?? f.name);
      const nested = snapshot.nestedPhysicalTypes?.get(f.name);
      const value = nested === undefined ? physical : renamedNested(physical, nested, 0);
      return `CAST(${value} AS ${type}) AS ${quoteIdentifier(f.name)}`;
    })
    .join(", ");
}

/**
 * Rebuilds a nested value stored under physical names (column mapping) with its logical names at every depth:
 * struct_pack per struct (NULL stays NULL), list_transform per list, map entries rebuilt per map.
 */
function renamedNested(expr: string, type: PhysicalType, depth: number): string {
  switch (type.kind) {
    case "primitive":
      return expr;
    case "struct": {
      const fields = type.fields.map(
        (f) =>
          `${quoteIdentifier(f.logical)} := ${renamedNested(`(${expr}).${quoteIdentifier(f.physical)}`, f.type, depth + 1)}`,
      );
      return `CASE WHEN ${expr} IS NULL THEN NULL ELSE struct_pack(${fields.join(", ")}) END`;
    }
    case "list": {
      const item = `__fusion_item_${depth}`;
      return `list_transform(${expr}, lambda ${item}: ${renamedNested(item, type.element, depth + 1)})`;
    }
    case "map": {
      const entry = `__fusion_entry_${depth}`;
      const key = renamedNested(`${entry}.key`, type.key, depth + 1);
      const value = renamedNested(`${entry}.value`, type.value, depth + 1);
      return `map_from_entries(list_transform(map_entries(${expr}), lambda ${entry}: struct_pack(key := ${key}, value := ${value})))`;
    }
  }
}

/** A partition value (PROTOCOL.md "Partition Value Serialization") as a typed SQL literal. */
function partitionLiteral(raw: string | null, field: Field, type: string): string {
  if (raw === null) return `CAST(NULL AS ${type})`;
  if (type === "TIMESTAMPTZ" && !/(Z|[+-]\d{2}:?\d{2})$/i.test(raw)) {
    // PROTOCOL.md "Partition Value Serialization": `2024-01-01 00:00:00[.ffffff]` is UTC for a timestamp column.
    return `CAST(${quoteLiteral(`${raw}+00`)} AS ${type})`;
  }
  if (field.type.typeId === Type.Binary) return `CAST(${quoteLiteral(raw)} AS BLOB)`;
  return `CAST(${quoteLiteral(raw)} AS ${type})`;
}

/** The DuckDB SQL type for a Delta table's Arrow type. */
export function duckdbTypeOf(type: DataType, column: string): string {
  switch (type.typeId) {
    case Type.Bool:
      return "BOOLEAN";
    case Type.Int: {
      const t = type as DataType<Type.Int>;
      const bits = "bitWidth" in t ? Number(t.bitWidth) : 32;
      const signed = "isSigned" in t ? Boolean(t.isSigned) : true;
      const names: Record<number, string> = { 8: "TINYINT", 16: "SMALLINT", 32: "INTEGER", 64: "BIGINT" };
      return `${signed ? "" : "U"}${names[bits] ?? "BIGINT"}`;
    }
    case Type.Float: {
      const precision = "precision" in type ? Number(type.precision) : 2;
      return precision === 2 ? "DOUBLE" : "FLOAT";
    }
    case Type.Decimal: {
      const p = "precision" in type ? Number(type.precision) : 38;
      const s = "scale" in type ? Number(type.scale) : 0;
      return `DECIMAL(${p}, ${s})`;
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return "VARCHAR";
    case Type.Binary:
    case Type.LargeBinary:
      return "BLOB";
    case Type.Date:
      return "DATE";
    case Type.Timestamp: {
      const tz = "timezone" in type ? type.timezone : null;
      return tz === null || tz === undefined || tz === "" ? "TIMESTAMP" : "TIMESTAMPTZ";
    }
    case Type.List: {
      const inner = type.children[0];
      if (inner !== undefined) return `${duckdbTypeOf(inner.type, column)}[]`;
      break;
    }
    case Type.Struct:
      return `STRUCT(${type.children.map((c) => `${quoteIdentifier(c.name)} ${duckdbTypeOf(c.type, column)}`).join(", ")})`;
    case Type.Map: {
      const entries = type.children[0];
      const [k, v] = entries?.type.children ?? [];
      if (k !== undefined && v !== undefined)
        return `MAP(${duckdbTypeOf(k.type, column)}, ${duckdbTypeOf(v.type, column)})`;
      break;
    }
    default:
      break;
  }
  throw new UnsupportedFeatureError(
    "type",
    `Column ${column} has type ${String(type)}, which SQL queries cannot read yet.`,
  );
}
