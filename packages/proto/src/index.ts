// Public API of @mlfusion/proto: the Flight, gRPC health and flight_fusion.ipc.v1alpha1 messages (generated into
// src/gen by `npm run generate`), the FlightData <-> Arrow IPC codec and gRPC message framing.

export { registerCompressionCodecs } from "./compression-codecs.js";
export type { FlightDataFrame } from "./flight-data-codec.js";
export {
  decodeRecordBatches,
  decodeSchema,
  encodeFlightDataFrame,
  encodeRecordBatches,
  encodeSchema,
  flightDataBodyOffset,
  parseFlightData,
} from "./flight-data-codec.js";
export type {
  Action,
  ActionType,
  BasicAuth,
  CancelFlightInfoRequest,
  CancelFlightInfoResult,
  Criteria,
  Empty,
  FlightData,
  FlightDescriptor,
  FlightEndpoint,
  FlightInfo,
  HandshakeRequest,
  HandshakeResponse,
  Location,
  PollInfo,
  PutResult,
  RenewFlightEndpointRequest,
  Result,
  SchemaResult,
  Ticket,
} from "./gen/arrow/flight/protocol/Flight_pb.js";
export {
  ActionSchema,
  ActionTypeSchema,
  BasicAuthSchema,
  CancelFlightInfoRequestSchema,
  CancelFlightInfoResultSchema,
  CancelStatus,
  CancelStatusSchema,
  CriteriaSchema,
  EmptySchema,
  FlightDataSchema,
  FlightDescriptor_DescriptorType,
  FlightDescriptor_DescriptorTypeSchema,
  FlightDescriptorSchema,
  FlightEndpointSchema,
  FlightInfoSchema,
  FlightService,
  HandshakeRequestSchema,
  HandshakeResponseSchema,
  LocationSchema,
  PollInfoSchema,
  PutResultSchema,
  RenewFlightEndpointRequestSchema,
  ResultSchema,
  SchemaResultSchema,
  TicketSchema,
} from "./gen/arrow/flight/protocol/Flight_pb.js";
export type {
  ActionClosePreparedStatementRequest,
  ActionCreatePreparedStatementRequest,
  ActionCreatePreparedStatementResult,
  CommandGetCatalogs,
  CommandGetDbSchemas,
  CommandGetSqlInfo,
  CommandGetTables,
  CommandGetTableTypes,
  CommandPreparedStatementQuery,
  CommandStatementQuery,
  DoPutPreparedStatementResult,
  TicketStatementQuery,
} from "./gen/arrow/flight/protocol/sql/FlightSql_pb.js";
export {
  ActionClosePreparedStatementRequestSchema,
  ActionCreatePreparedStatementRequestSchema,
  ActionCreatePreparedStatementResultSchema,
  CommandGetCatalogsSchema,
  CommandGetDbSchemasSchema,
  CommandGetSqlInfoSchema,
  CommandGetTablesSchema,
  CommandGetTableTypesSchema,
  CommandPreparedStatementQuerySchema,
  CommandStatementQuerySchema,
  DoPutPreparedStatementResultSchema,
  TicketStatementQuerySchema,
} from "./gen/arrow/flight/protocol/sql/FlightSql_pb.js";
export type {
  AreaSourceReference,
  AreaTableId,
  AreaTableLocation,
  AreaTableUri,
  FileReference,
  SourceCollection,
  TableReference,
  Tag,
} from "./gen/flight_fusion/ipc/v1alpha1/common_pb.js";
export {
  AreaSourceReferenceSchema,
  AreaTableIdSchema,
  AreaTableLocationSchema,
  AreaTableUriSchema,
  FileFormat,
  FileFormatSchema,
  FileReferenceSchema,
  SaveMode,
  SaveModeSchema,
  SourceCollectionSchema,
  TableReferenceSchema,
  TagSchema,
} from "./gen/flight_fusion/ipc/v1alpha1/common_pb.js";
export type {
  DeltaCreateOperation,
  DeltaOperationRequest,
  DeltaOperationResponse,
  DeltaReadOperation,
  DeltaWriteOperation,
} from "./gen/flight_fusion/ipc/v1alpha1/delta_pb.js";
export {
  DeltaCreateOperationSchema,
  DeltaOperationRequestSchema,
  DeltaOperationResponseSchema,
  DeltaReadOperationSchema,
  DeltaWriteOperationSchema,
} from "./gen/flight_fusion/ipc/v1alpha1/delta_pb.js";
export type { EnvironmentInfo, ServiceConnection } from "./gen/flight_fusion/ipc/v1alpha1/environment_pb.js";
export { EnvironmentInfoSchema, ServiceConnectionSchema } from "./gen/flight_fusion/ipc/v1alpha1/environment_pb.js";
export type {
  FlightActionRequest,
  FlightActionResponse,
  FlightDoGetRequest,
  FlightDoPutRequest,
  FlightDoPutResponse,
} from "./gen/flight_fusion/ipc/v1alpha1/flight_pb.js";
export {
  FlightActionRequestSchema,
  FlightActionResponseSchema,
  FlightDoGetRequestSchema,
  FlightDoPutRequestSchema,
  FlightDoPutResponseSchema,
} from "./gen/flight_fusion/ipc/v1alpha1/flight_pb.js";
export type {
  CommandDropSource,
  CommandExecuteQuery,
  CommandKqlOperation,
  CommandListSources,
  CommandReadDataset,
  CommandWriteIntoDataset,
  ResultActionStatus,
  ResultDoPutUpdate,
} from "./gen/flight_fusion/ipc/v1alpha1/message_pb.js";
export {
  ActionStatus,
  ActionStatusSchema,
  CommandDropSourceSchema,
  CommandExecuteQuerySchema,
  CommandKqlOperationSchema,
  CommandListSourcesSchema,
  CommandReadDatasetSchema,
  CommandWriteIntoDatasetSchema,
  ResultActionStatusSchema,
  ResultDoPutUpdateSchema,
} from "./gen/flight_fusion/ipc/v1alpha1/message_pb.js";
export type {
  AreaSourceDetails,
  AreaSourceMetadata,
  BatchStatistics,
  ColumnStatistics,
} from "./gen/flight_fusion/ipc/v1alpha1/metadata_pb.js";
export {
  AreaSourceDetailsSchema,
  AreaSourceMetadataSchema,
  BatchStatisticsSchema,
  ColumnStatisticsSchema,
} from "./gen/flight_fusion/ipc/v1alpha1/metadata_pb.js";
export type {
  EntityReferenceTrait,
  ExpressionReference,
  ModelReference,
  SensitiveDataTrait,
  Signal,
  SignalFrame,
  SignalProvider,
  SignalTrait,
  TimeSeriesTrait,
} from "./gen/flight_fusion/ipc/v1alpha1/signals_pb.js";
export {
  DataType,
  DataTypeSchema,
  EntityReferenceTraitSchema,
  ExpressionReferenceSchema,
  ModelReferenceSchema,
  SensitiveDataTraitSchema,
  SignalFrameSchema,
  SignalProviderSchema,
  SignalSchema,
  SignalTraitSchema,
  SignalType,
  SignalTypeSchema,
  TimeSeriesTraitSchema,
} from "./gen/flight_fusion/ipc/v1alpha1/signals_pb.js";
export type { HealthCheckRequest, HealthCheckResponse } from "./gen/grpc/health/v1/health_pb.js";
export {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponse_ServingStatusSchema,
  HealthCheckResponseSchema,
} from "./gen/grpc/health/v1/health_pb.js";
export type { PausableStream } from "./grpc-framing.js";
export {
  encodeGrpcFrame,
  GrpcFramingError,
  GrpcMessageDecoder,
  grpcFramePrefix,
  readGrpcMessages,
} from "./grpc-framing.js";
