/**
 * The Arrow Flight RPCs (Flight.proto, service FlightService) over a DatasetCatalog. Every handler streams:
 * DoGet encodes batches as the catalog yields them, DoPut hands decoded batches to the catalog as they arrive,
 * and HTTP/2 flow control carries the backpressure.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FusionError, InvalidArgumentError } from "@mlfusion/core";
import {
  ActionSchema,
  AreaSourceMetadataSchema,
  BatchStatisticsSchema,
  ColumnStatisticsSchema,
  CriteriaSchema,
  decodeRecordBatches,
  encodeGrpcFrame,
  encodeRecordBatches,
  encodeSchema,
  type FlightDataFrame,
  type FlightDescriptor,
  FlightDescriptor_DescriptorType,
  FlightDescriptorSchema,
  FlightInfoSchema,
  PollInfoSchema,
  PutResultSchema,
  parseFlightData,
  ResultDoPutUpdateSchema,
  ResultSchema,
  SchemaResultSchema,
  TicketSchema,
} from "@mlfusion/proto";
import type { QueryEngine } from "@mlfusion/query";
import type { RecordBatch } from "apache-arrow";
import { type AssetKey, parseAssetKey } from "./asset-key.js";
import { checkBearerToken, handleHandshake } from "./auth.js";
import type { DatasetCatalog, DatasetInfo } from "./dataset-catalog.js";
import { handleAction, listActions } from "./flight-actions.js";
import {
  descriptorToKey,
  keyToSource,
  parsePutDescriptor,
  parseTicket,
  type QueryRequest,
  ticketForKey,
} from "./flight-requests.js";
import { FLIGHT_SQL_ACTIONS, FlightSqlService, flightSqlCommand } from "./flight-sql.js";
import { type GrpcCall, type GrpcHandler, readUnaryRequest } from "./grpc-server.js";
import { sendFrames } from "./send-frames.js";

const SERVICE = "/arrow.flight.protocol.FlightService/";
const SERVER_VERSION = "0.1.0";

function decodeMessage<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new InvalidArgumentError(`The request is not a valid ${what}; check the client's Flight version.`, {
      cause: error,
    });
  }
}

/** The FlightInfo of a dataset; CMD requests get AreaSourceMetadata in the descriptor, as the original did. */
function flightInfo(info: DatasetInfo, asCommand: boolean): Uint8Array {
  const metadata = toBinary(
    AreaSourceMetadataSchema,
    create(AreaSourceMetadataSchema, {
      id: info.metadata.id,
      name: info.metadata.name,
      description: info.metadata.description,
      isVersioned: true,
      source: keyToSource(info.key),
      tags: Object.entries(info.metadata.tags).map(([key, value]) => ({ key, value })),
      properties: info.metadata.properties,
    }),
  );
  const descriptor = asCommand
    ? create(FlightDescriptorSchema, { type: FlightDescriptor_DescriptorType.CMD, cmd: metadata })
    : create(FlightDescriptorSchema, { type: FlightDescriptor_DescriptorType.PATH, path: [...info.key] });
  return toBinary(
    FlightInfoSchema,
    create(FlightInfoSchema, {
      schema: encodeSchema(info.schema),
      flightDescriptor: descriptor,
      endpoint: [{ ticket: { ticket: ticketForKey(info.key) }, location: [] }],
      totalRecords: BigInt(info.totalRecords),
      totalBytes: BigInt(info.totalBytes),
      ordered: false,
      appMetadata: metadata,
    }),
  );
}

/**
 * Handlers for every FlightService method, keyed by gRPC path, and `close` for server shutdown (it closes the Flight
 * SQL queries GetFlightInfo started that no DoGet took).
 */
export function createFlightHandlers(
  catalog: DatasetCatalog,
  token: string | undefined,
  queryEngine?: QueryEngine,
): { handlers: Map<string, GrpcHandler>; close(): void } {
  const flightSql = queryEngine === undefined ? undefined : new FlightSqlService(queryEngine, SERVER_VERSION);
  const sqlCommand = (bytes: Uint8Array) => (flightSql === undefined ? undefined : flightSqlCommand(bytes));
  /** The Flight SQL plan of a descriptor; `start` (GetFlightInfo) also starts a statement query. */
  const sqlInfo = async (descriptor: FlightDescriptor, signal: AbortSignal, start: boolean) => {
    if (flightSql === undefined || descriptor.type !== FlightDescriptor_DescriptorType.CMD) return undefined;
    const command = sqlCommand(descriptor.cmd);
    return command === undefined ? undefined : flightSql.plan(command, signal, start);
  };
  const authed =
    (handler: GrpcHandler): GrpcHandler =>
    async (call) => {
      checkBearerToken(token, call.headers);
      await handler(call);
    };

  const readDescriptor = async (call: GrpcCall): Promise<FlightDescriptor> => {
    const request = await readUnaryRequest(call);
    return decodeMessage("FlightDescriptor", () => fromBinary(FlightDescriptorSchema, request));
  };
  /** FlightInfo bytes for a descriptor: a Flight SQL plan or a dataset. */
  const infoFor = async (descriptor: FlightDescriptor, signal: AbortSignal): Promise<Uint8Array> => {
    const plan = await sqlInfo(descriptor, signal, true);
    if (plan !== undefined) {
      return toBinary(
        FlightInfoSchema,
        create(FlightInfoSchema, {
          schema: encodeSchema(plan.schema),
          flightDescriptor: descriptor,
          endpoint: [{ ticket: { ticket: plan.ticket }, location: [] }],
          totalRecords: -1n,
          totalBytes: -1n,
        }),
      );
    }
    const info = await catalog.info(descriptorToKey(descriptor));
    return flightInfo(info, descriptor.type === FlightDescriptor_DescriptorType.CMD);
  };

  const handlers: Array<[string, GrpcHandler]> = [
    ["Handshake", (call) => handleHandshake(token, call)],
    [
      "ListFlights",
      authed(async (call) => {
        const request = await readUnaryRequest(call);
        const criteria = decodeMessage("Criteria", () => fromBinary(CriteriaSchema, request));
        const expression = Buffer.from(criteria.expression).toString("utf8").replace(/\/+$/, "");
        const prefix: AssetKey = expression === "" ? [] : parseAssetKey(expression);
        for (const key of await catalog.list(prefix, call.signal)) {
          let info: DatasetInfo;
          try {
            info = await catalog.info(key);
          } catch (error) {
            // A dataset dropped between list and info is simply gone; anything else is a real failure.
            if (error instanceof FusionError && error.code === "NOT_FOUND") continue;
            throw error;
          }
          await call.send([encodeGrpcFrame(flightInfo(info, false))]);
        }
      }),
    ],
    [
      "GetFlightInfo",
      authed(async (call) => {
        const descriptor = await readDescriptor(call);
        await call.send([encodeGrpcFrame(await infoFor(descriptor, call.signal))]);
      }),
    ],
    [
      "PollFlightInfo",
      authed(async (call) => {
        const descriptor = await readDescriptor(call);
        const flight = fromBinary(FlightInfoSchema, await infoFor(descriptor, call.signal));
        const poll = create(PollInfoSchema, { info: flight, progress: 1 });
        await call.send([encodeGrpcFrame(toBinary(PollInfoSchema, poll))]);
      }),
    ],
    [
      "GetSchema",
      authed(async (call) => {
        const descriptor = await readDescriptor(call);
        const plan = await sqlInfo(descriptor, call.signal, false);
        const schema = plan?.schema ?? (await catalog.info(descriptorToKey(descriptor))).schema;
        const result = create(SchemaResultSchema, { schema: encodeSchema(schema) });
        await call.send([encodeGrpcFrame(toBinary(SchemaResultSchema, result))]);
      }),
    ],
    [
      "DoGet",
      authed(async (call) => {
        const request = await readUnaryRequest(call);
        const ticket = decodeMessage("Ticket", () => fromBinary(TicketSchema, request));
        const sql = sqlCommand(ticket.ticket);
        if (flightSql !== undefined && sql !== undefined) {
          const result = await flightSql.execute(sql, call.signal);
          try {
            await sendFrames(call, encodeRecordBatches(result.schema, result), (frame) => result.recycle?.(frame));
          } finally {
            result.close?.();
          }
          return;
        }
        const wanted = parseTicket(ticket.ticket);
        if (wanted.kind === "query") {
          await runQuery(queryEngine, wanted, call);
          return;
        }
        const { schema, batches } = await catalog.read(wanted.key, { ...wanted.options, signal: call.signal });
        await sendFrames(call, encodeRecordBatches(schema, batches));
      }),
    ],
    ["DoPut", authed((call) => doPut(catalog, call, flightSql))],
    [
      "DoExchange",
      authed(async () => {
        throw new FusionError("UNSUPPORTED_FEATURE", "DoExchange is not supported; use DoGet and DoPut.");
      }),
    ],
    [
      "DoAction",
      authed(async (call) => {
        const request = await readUnaryRequest(call);
        const action = decodeMessage("Action", () => fromBinary(ActionSchema, request));
        const sqlResults = await flightSql?.action(action.type, action.body, call.signal);
        if (sqlResults !== undefined) {
          for (const body of sqlResults) {
            await call.send([encodeGrpcFrame(toBinary(ResultSchema, create(ResultSchema, { body })))]);
          }
          return;
        }
        await handleAction(catalog, action.type, action.body, call);
      }),
    ],
    [
      "ListActions",
      authed(async (call) => {
        await readUnaryRequest(call);
        await listActions(call, flightSql === undefined ? [] : FLIGHT_SQL_ACTIONS);
      }),
    ],
  ];
  return {
    handlers: new Map(handlers.map(([name, handler]) => [SERVICE + name, handler])),
    close: () => flightSql?.close(),
  };
}

async function runQuery(engine: QueryEngine | undefined, request: QueryRequest, call: GrpcCall): Promise<void> {
  if (engine === undefined) {
    throw new FusionError(
      "UNSUPPORTED_FEATURE",
      "This server runs without a SQL engine; start it with `fusion start flight` to run queries.",
    );
  }
  const result = await engine.query(request.sql, { signal: call.signal, tableNames: request.tableNames });
  try {
    // Each batch's memory is reused for the next once its frames are on the socket (QueryResult.recycle).
    await sendFrames(call, encodeRecordBatches(result.schema, result), (frame) => result.recycle(frame));
  } finally {
    result.close();
  }
}

async function doPut(catalog: DatasetCatalog, call: GrpcCall, flightSql: FlightSqlService | undefined): Promise<void> {
  const messages = call.messages();
  const first = await messages.next();
  if (first.done) throw new InvalidArgumentError("DoPut received no messages; send a descriptor and a schema.");
  const firstFrame = parseFlightData(first.value);
  async function* frames(): AsyncGenerator<FlightDataFrame> {
    yield firstFrame;
    for await (const message of messages) yield parseFlightData(message);
  }
  const descriptor = firstFrame.descriptor;
  const sql =
    flightSql !== undefined && descriptor?.type === FlightDescriptor_DescriptorType.CMD
      ? flightSqlCommand(descriptor.cmd)
      : undefined;
  if (flightSql !== undefined && sql !== undefined) {
    const { batches } = await decodeRecordBatches(frames());
    const appMetadata = await flightSql.put(sql, batches);
    await call.send([encodeGrpcFrame(toBinary(PutResultSchema, create(PutResultSchema, { appMetadata })))]);
    return;
  }
  const request = parsePutDescriptor(descriptor);
  const { schema, batches } = await decodeRecordBatches(frames());
  const stats = new PutStatistics(schema.fields.length);
  const result = await catalog.write(request.key, schema, stats.count(batches), {
    ...request.options,
    signal: call.signal,
  });
  const update = create(ResultDoPutUpdateSchema, {
    statistics: create(BatchStatisticsSchema, {
      recordCount: BigInt(stats.rows),
      totalByteSize: BigInt(result.bytes > 0 ? result.bytes : stats.bytes),
      columnStatistics: stats.nullCounts.map((nullCount) =>
        create(ColumnStatisticsSchema, { nullCount: BigInt(nullCount) }),
      ),
      isExact: true,
    }),
  });
  const put = create(PutResultSchema, { appMetadata: toBinary(ResultDoPutUpdateSchema, update) });
  await call.send([encodeGrpcFrame(toBinary(PutResultSchema, put))]);
}

/** Row, byte and null counts of the batches of a DoPut, gathered as they pass to the catalog. */
class PutStatistics {
  rows = 0;
  bytes = 0;
  readonly nullCounts: number[];

  constructor(columns: number) {
    this.nullCounts = new Array<number>(columns).fill(0);
  }

  async *count(batches: AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
    for await (const batch of batches) {
      this.rows += batch.numRows;
      this.bytes += batch.data.byteLength;
      for (let i = 0; i < this.nullCounts.length; i++) {
        this.nullCounts[i] = (this.nullCounts[i] ?? 0) + (batch.getChildAt(i)?.nullCount ?? 0);
      }
      yield batch;
    }
  }
}
