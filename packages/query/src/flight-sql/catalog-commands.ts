import { FusionError } from "@mlfusion/core";
import { Binary, Field, Schema, Utf8 } from "apache-arrow";
import type { AssetKey } from "../dataset-catalog.js";
import type { QueryEngine } from "../query-engine.js";
import { type FlightSqlResult, resultFromColumns, serializeSchema } from "./flight-sql-result.js";

/**
 * Flight SQL metadata commands (FlightSql.proto: CommandGetCatalogs, CommandGetDbSchemas, CommandGetTables,
 * CommandGetTableTypes) over the engine's datasets. There are no catalogs; a key's last segment is the table and
 * the segments before it, joined by `/`, the schema: `[demo, model_training, dataset]` -> schema
 * `demo/model_training`, table `dataset`; `[iris]` -> table `iris` without a schema. A client that quotes what it
 * listed (`"demo/model_training"."dataset"`) names the dataset, by the SQL rule that `/` separates key segments.
 * (One level only, because the ADBC driver drops schemas of a null catalog as soon as any catalog exists.)
 */

/** FlightSql.proto CommandGetCatalogs result schema. */
export const GET_CATALOGS_SCHEMA = new Schema([new Field("catalog_name", new Utf8(), false)]);

/** FlightSql.proto CommandGetDbSchemas result schema. */
export const GET_DB_SCHEMAS_SCHEMA = new Schema([
  new Field("catalog_name", new Utf8(), true),
  new Field("db_schema_name", new Utf8(), false),
]);

/** FlightSql.proto CommandGetTables result schema, without and with `table_schema`. */
export function getTablesSchema(includeSchema: boolean): Schema {
  const fields: Field[] = [
    new Field("catalog_name", new Utf8(), true),
    new Field("db_schema_name", new Utf8(), true),
    new Field("table_name", new Utf8(), false),
    new Field("table_type", new Utf8(), false),
  ];
  if (includeSchema) fields.push(new Field("table_schema", new Binary(), false));
  return new Schema(fields);
}

/** FlightSql.proto CommandGetTableTypes result schema. */
export const GET_TABLE_TYPES_SCHEMA = new Schema([new Field("table_type", new Utf8(), false)]);

/** Every dataset is a table of this type. */
export const DATASET_TABLE_TYPE = "TABLE";

/** Where a dataset appears in Flight SQL's catalog / schema / table hierarchy. */
export interface SqlTableName {
  catalog: string | null;
  dbSchema: string | null;
  table: string;
}

/** The catalog / schema / table names of an asset key (see the module comment). */
export function sqlTableNameOf(key: AssetKey): SqlTableName {
  const table = key[key.length - 1] ?? "";
  return { catalog: null, dbSchema: key.length > 1 ? key.slice(0, -1).join("/") : null, table };
}

/** Decoded CommandGetDbSchemas. */
export interface GetDbSchemasRequest {
  /** Unset: all catalogs; "": schemas without a catalog. */
  catalog?: string;
  /** SQL LIKE pattern (`%`, `_`, `\` escapes). */
  dbSchemaFilterPattern?: string;
}

/** Decoded CommandGetTables. */
export interface GetTablesRequest extends GetDbSchemasRequest {
  tableNameFilterPattern?: string;
  tableTypes?: readonly string[];
  includeSchema?: boolean;
}

/** CommandGetCatalogs: the distinct catalogs, sorted. */
export async function getCatalogs(engine: QueryEngine, signal?: AbortSignal): Promise<FlightSqlResult> {
  const names = (await engine.listDatasets(signal)).map(sqlTableNameOf);
  const catalogs = [...new Set(names.map((n) => n.catalog).filter((c): c is string => c !== null))].sort();
  return resultFromColumns(GET_CATALOGS_SCHEMA, [catalogs]);
}

/** CommandGetDbSchemas: the distinct (catalog, schema) pairs, sorted by catalog then schema. */
export async function getDbSchemas(
  engine: QueryEngine,
  request: GetDbSchemasRequest,
  signal?: AbortSignal,
): Promise<FlightSqlResult> {
  const schemaMatches = likeMatcher(request.dbSchemaFilterPattern);
  const seen = new Map<string, SqlTableName>();
  for (const name of (await engine.listDatasets(signal)).map(sqlTableNameOf)) {
    if (name.dbSchema === null || !catalogMatches(request.catalog, name.catalog) || !schemaMatches(name.dbSchema)) {
      continue;
    }
    seen.set(JSON.stringify([name.catalog, name.dbSchema]), name);
  }
  const rows = [...seen.values()].sort(byCatalogSchemaTable);
  return resultFromColumns(GET_DB_SCHEMAS_SCHEMA, [rows.map((r) => r.catalog), rows.map((r) => r.dbSchema)]);
}

/** CommandGetTables: datasets matching the filters, with their Arrow schema when asked. */
export async function getTables(
  engine: QueryEngine,
  request: GetTablesRequest,
  signal?: AbortSignal,
): Promise<FlightSqlResult> {
  const schemaMatches = likeMatcher(request.dbSchemaFilterPattern);
  const tableMatches = likeMatcher(request.tableNameFilterPattern);
  const types = request.tableTypes ?? [];
  const wanted = (await engine.listDatasets(signal))
    .map((key) => ({ key, name: sqlTableNameOf(key) }))
    .filter(
      ({ name }) =>
        catalogMatches(request.catalog, name.catalog) &&
        (request.dbSchemaFilterPattern === undefined || (name.dbSchema !== null && schemaMatches(name.dbSchema))) &&
        tableMatches(name.table) &&
        (types.length === 0 || types.includes(DATASET_TABLE_TYPE)),
    )
    .sort((a, b) => byCatalogSchemaTable(a.name, b.name));
  const includeSchema = request.includeSchema === true;
  const columns: unknown[][] = [
    wanted.map((w) => w.name.catalog),
    wanted.map((w) => w.name.dbSchema),
    wanted.map((w) => w.name.table),
    wanted.map(() => DATASET_TABLE_TYPE),
  ];
  if (includeSchema) {
    const schemas = await Promise.all(
      wanted.map(async (w) => serializeSchema(await listedSchema(engine, w.key, signal))),
    );
    columns.push(schemas);
  }
  return resultFromColumns(getTablesSchema(includeSchema), columns);
}

/**
 * A dataset's schema for listing. A dataset this engine cannot read (an unsupported feature, a damaged log) is
 * listed with an empty schema rather than failing the whole listing; querying it reports the reason.
 */
async function listedSchema(engine: QueryEngine, key: AssetKey, signal: AbortSignal | undefined): Promise<Schema> {
  try {
    return await engine.datasetSchema(key, signal);
  } catch (error) {
    if (error instanceof FusionError && (error.code === "UNSUPPORTED_FEATURE" || error.code === "CORRUPT_TABLE")) {
      return new Schema([]);
    }
    throw error;
  }
}

/** CommandGetTableTypes. */
export function getTableTypes(): FlightSqlResult {
  return resultFromColumns(GET_TABLE_TYPES_SCHEMA, [[DATASET_TABLE_TYPE]]);
}

function catalogMatches(requested: string | undefined, catalog: string | null): boolean {
  if (requested === undefined) return true;
  if (requested === "") return catalog === null;
  return catalog === requested;
}

function byCatalogSchemaTable(a: SqlTableName, b: SqlTableName): number {
  const key = (n: SqlTableName) => [n.catalog ?? "", n.dbSchema ?? "", n.table].join("\u0000");
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/** A matcher for a SQL LIKE pattern (`%` any run, `_` one character, `\` escapes); unset matches everything. */
export function likeMatcher(pattern: string | undefined): (text: string) => boolean {
  if (pattern === undefined || pattern === "%") return () => true;
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? "";
    if (c === "\\" && i + 1 < pattern.length) {
      source += escapeRegExp(pattern[++i] ?? "");
    } else if (c === "%") source += "[\\s\\S]*";
    else if (c === "_") source += "[\\s\\S]";
    else source += escapeRegExp(c);
  }
  const regex = new RegExp(`^${source}$`, "u");
  return (text) => regex.test(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
