// Public API of @mlfusion/query: SQL over datasets on DuckDB, results as Arrow RecordBatches.

export type {
  AssetKey,
  DataFile,
  DatasetCatalog,
  DatasetSnapshot,
  FileStats,
  TimeTravel,
} from "./dataset-catalog.js";
export { formatAssetKey } from "./dataset-catalog.js";
export { parseTimestampLiteral, quoteKey } from "./dataset-resolution.js";
export type { DeltaCatalogOptions } from "./delta-catalog.js";
export { createDeltaCatalog } from "./delta-catalog.js";
export type {
  DatasetScan,
  PreparedQuery,
  QueryEngine,
  QueryEngineOptions,
  QueryOptions,
  QueryParameter,
  QueryResult,
} from "./query-engine.js";
export { createQueryEngine } from "./query-engine.js";
