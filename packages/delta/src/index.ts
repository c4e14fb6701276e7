// Public API of @mlfusion/delta. End-user symbols first; each section is owned by one area of the engine.

export { decodeActionPath } from "./log/action-path.js";
export type {
  Action,
  AddAction,
  AddCdcAction,
  CheckpointMetadataAction,
  CommitInfoAction,
  DeletionVectorDescriptor,
  DomainMetadataAction,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
  SidecarAction,
  TxnAction,
} from "./log/actions.js";
// Log actions (PROTOCOL.md "Actions")
export { parseAction, parseCommitFile, serializeActions } from "./log/actions.js";
export { readCheckpointActions } from "./log/checkpoint-reader.js";
// Read
export type { Checkpoint, LastCheckpointHint, LogFile, LogSegment } from "./log/log-segment.js";
export { buildLogSegment, commitPath, listLogFiles, readLastCheckpoint, versionPrefix } from "./log/log-segment.js";
export type { ParquetFooter, ParquetReadOptions } from "./parquet/parquet-reader.js";
export {
  parseParquetFooter,
  readParquetBatches,
  readParquetFile,
  readParquetFileBatches,
  readParquetFooter,
} from "./parquet/parquet-reader.js";
export { assertReadable, hasReaderFeature, SUPPORTED_READER_FEATURES } from "./protocol/reader-features.js";
export { ARROW_TYPE_KEY, fromArrowSchema, toArrowSchema, toArrowType } from "./schema/arrow-schema.js";
export type { ArrayType, DataType, MapType, StructField, StructType } from "./schema/delta-schema.js";
// Schema (PROTOCOL.md "Schema Serialization Format") and its Arrow mapping
export { decimalParams, parseSchemaString, serializeSchema, typeToString } from "./schema/delta-schema.js";
export type { LoadSnapshotOptions, Snapshot } from "./snapshot/snapshot.js";
export { fileActionKey, loadSnapshot } from "./snapshot/snapshot.js";
export { versionAtTimestamp } from "./snapshot/timestamp-travel.js";
// Storage
export { createLocalObjectStore } from "./storage/local-object-store.js";
export type { ObjectMeta, ObjectStore } from "./storage/object-store.js";
