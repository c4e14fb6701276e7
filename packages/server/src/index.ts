// Public API of @mlfusion/server: the Arrow Flight dataset service. End-user symbols first.

export type { AssetKey } from "./asset-key.js";
export { formatAssetKey, parseAssetKey, validateAssetKey } from "./asset-key.js";
export type {
  DatasetCatalog,
  DatasetInfo,
  DatasetMetadata,
  HistoryEntry,
  MetadataUpdate,
  ReadOptions,
  VacuumRequest,
  WriteMode,
  WriteOptions,
  WriteResult,
} from "./dataset-catalog.js";
export { createDeltaDatasetCatalog } from "./delta-dataset-catalog.js";
export { FLIGHT_ACTIONS } from "./flight-actions.js";
export type { FlightServer, FlightServerOptions } from "./flight-server.js";
export { startFlightServer } from "./flight-server.js";
export { FLIGHT_SQL_ACTIONS } from "./flight-sql.js";
export type { CallStatus, GrpcStatusCode } from "./grpc-status.js";
export { GrpcStatus, toCallStatus } from "./grpc-status.js";
export { createMemoryDatasetCatalog } from "./memory-dataset-catalog.js";
