export type { FusionConfig, LogConfig, QueryConfig, ServerConfig, StorageConfig } from "./config.js";
export {
  fusionConfigSchema,
  logConfigSchema,
  queryConfigSchema,
  serverConfigSchema,
  storageConfigSchema,
} from "./config.js";
export type { ErrorCode, FusionErrorOptions } from "./errors.js";
export {
  AlreadyExistsError,
  ConflictError,
  CorruptTableError,
  FusionError,
  InvalidArgumentError,
  NotFoundError,
  toFusionError,
  UnsupportedFeatureError,
} from "./errors.js";
export type { Logger } from "./logger.js";
export { createLogger, createSilentLogger } from "./logger.js";
