// Public API of @mlfusion/query: SQL over datasets on DuckDB, results as Arrow RecordBatches.

export type {
  AssetKey,
  DataFile,
  DatasetCatalog,
  DatasetSnapshot,
  DeletionVector,
  FileStats,
  PhysicalType,
  TimeTravel,
} from "./dataset-catalog.js";
export { formatAssetKey } from "./dataset-catalog.js";
export { parseTimestampLiteral, quoteKey } from "./dataset-resolution.js";
export type { DeltaCatalogOptions } from "./delta-catalog.js";
export { createDeltaCatalog } from "./delta-catalog.js";
export type { DateParameter, QueryParameter, TimestampParameter } from "./duckdb-statement.js";
export { ExternalTableRegistry } from "./external-table-registry.js";
// Flight SQL command handling (FlightSql.proto): the server decodes protobuf and routes to these.
export type { GetDbSchemasRequest, GetTablesRequest, SqlTableName } from "./flight-sql/catalog-commands.js";
export {
  DATASET_TABLE_TYPE,
  GET_CATALOGS_SCHEMA,
  GET_DB_SCHEMAS_SCHEMA,
  GET_TABLE_TYPES_SCHEMA,
  getCatalogs,
  getDbSchemas,
  getTables,
  getTablesSchema,
  getTableTypes,
  sqlTableNameOf,
} from "./flight-sql/catalog-commands.js";
export type { FlightSqlResult } from "./flight-sql/flight-sql-result.js";
export { serializeSchema } from "./flight-sql/flight-sql-result.js";
export type { SqlInfoOptions } from "./flight-sql/sql-info.js";
export { GET_SQL_INFO_SCHEMA, getSqlInfo, SqlInfo } from "./flight-sql/sql-info.js";
export type { CreatedPreparedStatement, FlightSqlStatements } from "./flight-sql/statements.js";
export { createFlightSqlStatements } from "./flight-sql/statements.js";
export type { PreparedQuery, QueryEngine, QueryEngineOptions, QueryOptions } from "./query-engine.js";
export { createQueryEngine } from "./query-engine.js";
export type { DatasetScan } from "./query-plan.js";
export type { QueryResult } from "./query-result.js";
