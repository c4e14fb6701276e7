// Public API of @mlfusion/delta. End-user symbols first; each section is owned by one area of the engine.

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
export { ARROW_TYPE_KEY, fromArrowSchema, toArrowSchema, toArrowType } from "./schema/arrow-schema.js";
export type { ArrayType, DataType, MapType, StructField, StructType } from "./schema/delta-schema.js";

// Schema (PROTOCOL.md "Schema Serialization Format") and its Arrow mapping
export { decimalParams, parseSchemaString, serializeSchema, typeToString } from "./schema/delta-schema.js";
// Storage
export { createLocalObjectStore } from "./storage/local-object-store.js";
export type { ObjectMeta, ObjectStore } from "./storage/object-store.js";
