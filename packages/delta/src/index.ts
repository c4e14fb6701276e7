// Public API of @mlfusion/delta. End-user symbols first; each section is owned by one area of the engine.

export { writeCheckpoint } from "./checkpoint/checkpoint-writer.js";
export type { ColumnMappingMode } from "./column-mapping/column-mapping.js";
export { columnMappingMode, physicalName } from "./column-mapping/column-mapping.js";
export { loadDeletionVector } from "./deletion-vectors/deletion-vector.js";
export type { ColumnStats, StatsLookup } from "./expression/data-skipping.js";
export { mayMatch } from "./expression/data-skipping.js";
export { evaluateOnBatch } from "./expression/evaluate-batch.js";
export type { ComparisonOperator, Expression, LiteralValue } from "./expression/expression.js";
export { and, col, expressionToString, lit, not, or, referencedColumns } from "./expression/expression.js";
export { parseExpression } from "./expression/parse-expression.js";
export type { ResolvedExpression } from "./expression/resolve-expression.js";
export { resolveExpression } from "./expression/resolve-expression.js";
export type { DecimalValue, Scalar } from "./expression/scalar.js";
export { compareScalars, parseTimestampMicros, scalarFromText } from "./expression/scalar.js";
// Write
export type { HistoryEntry } from "./history.js";
export { readHistory } from "./history.js";
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
export type {
  FooterValueParsers,
  ParquetFileReader,
  ParquetFooter,
  ParquetReadOptions,
} from "./parquet/parquet-reader.js";
export {
  openParquetReader,
  parseParquetFooter,
  readParquetBatches,
  readParquetFile,
  readParquetFileBatches,
  readParquetFooter,
} from "./parquet/parquet-reader.js";
export type { ParquetFileWriter } from "./parquet/parquet-writer.js";
export { createParquetFileWriter } from "./parquet/parquet-writer.js";
export { assertReadable, hasReaderFeature, SUPPORTED_READER_FEATURES } from "./protocol/reader-features.js";
export { assertWritable, minimumProtocol } from "./protocol/writer-features.js";
export type { Scan, ScanFile, ScanOptions } from "./scan/scan.js";
export { createScan } from "./scan/scan.js";
export { ARROW_TYPE_KEY, fromArrowSchema, toArrowSchema, toArrowType } from "./schema/arrow-schema.js";
export type { ArrayType, DataType, MapType, StructField, StructType } from "./schema/delta-schema.js";
// Schema (PROTOCOL.md "Schema Serialization Format") and its Arrow mapping
export { decimalParams, parseSchemaString, serializeSchema, typeToString } from "./schema/delta-schema.js";
export type { LoadSnapshotOptions, Snapshot } from "./snapshot/snapshot.js";
export { canonicalFilePath, fileActionKey, loadSnapshot } from "./snapshot/snapshot.js";
export { versionAtTimestamp } from "./snapshot/timestamp-travel.js";
// Storage
export { createLocalObjectStore } from "./storage/local-object-store.js";
export type { ObjectMeta, ObjectStore } from "./storage/object-store.js";
export type { OpenTableOptions, TableFileStats } from "./table.js";
export { DeltaTable } from "./table.js";
export type { VacuumOptions } from "./vacuum.js";
export { vacuum } from "./vacuum.js";
export type { SchemaMode } from "./write/schema-enforcement.js";
export type { TableMetadataUpdate } from "./write/update-table-metadata.js";
export { updateTableMetadata } from "./write/update-table-metadata.js";
export type { SaveMode, WriteDeltaTableOptions, WriteDeltaTableResult, WriteInput } from "./write/write-delta-table.js";
export { writeDeltaTable } from "./write/write-delta-table.js";
