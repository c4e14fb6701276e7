// Public API of @mlfusion/client: read and write ML Fusion datasets over Arrow Flight. End-user symbols first.

export type {
  DatasetHistoryEntry,
  DatasetMetadata,
  LoadOptions,
  WriteData,
  WriteIntoOptions,
  WriteIntoResult,
} from "./dataset-client.js";
export { DatasetClient } from "./dataset-client.js";
export { fromGrpcStatus, ServiceUnavailableError, UnauthenticatedError } from "./errors.js";
export type { DatasetReference, FusionServiceClientOptions } from "./fusion-service-client.js";
export { FusionServiceClient } from "./fusion-service-client.js";
export { SaveMode } from "./save-mode.js";
