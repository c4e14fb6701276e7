/**
 * Arrow Flight SQL (FlightSql.proto) over @mlfusion/query: commands arrive as google.protobuf.Any in CMD
 * descriptors, tickets and action bodies, are decoded here and routed to the query package's handlers. Served:
 * statements (CommandStatementQuery -> TicketStatementQuery), prepared statements (create/close actions, DoPut
 * parameters, execution), and the catalog commands GetCatalogs, GetDbSchemas, GetTables, GetTableTypes,
 * GetSqlInfo. Statement tickets carry the SQL itself, so any server instance can redeem them.
 */
import { randomUUID } from "node:crypto";
import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema, anyPack } from "@bufbuild/protobuf/wkt";
import { FusionError, InvalidArgumentError } from "@mlfusion/core";
import {
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
} from "@mlfusion/proto";
import {
  createFlightSqlStatements,
  GET_CATALOGS_SCHEMA,
  GET_DB_SCHEMAS_SCHEMA,
  GET_SQL_INFO_SCHEMA,
  GET_TABLE_TYPES_SCHEMA,
  type GetDbSchemasRequest,
  type GetTablesRequest,
  getCatalogs,
  getDbSchemas,
  getSqlInfo,
  getTables,
  getTablesSchema,
  getTableTypes,
  type QueryEngine,
} from "@mlfusion/query";
import type { RecordBatch, Schema } from "apache-arrow";

const TYPE_PREFIX = "type.googleapis.com/arrow.flight.protocol.sql.";

/** The DoAction types of Flight SQL this service performs. */
export const FLIGHT_SQL_ACTIONS: ReadonlyArray<{ type: string; description: string }> = [
  {
    type: "CreatePreparedStatement",
    description: "Flight SQL: prepare a SQL statement (body: Any(ActionCreatePreparedStatementRequest)).",
  },
  {
    type: "ClosePreparedStatement",
    description: "Flight SQL: release a prepared statement (body: Any(ActionClosePreparedStatementRequest)).",
  },
];

/** A decoded Flight SQL command: its message name and bytes. */
export interface FlightSqlCommand {
  name: string;
  value: Uint8Array;
}

/** The Flight SQL command in `bytes` (an Any with a Flight SQL type URL), or undefined for anything else. */
export function flightSqlCommand(bytes: Uint8Array): FlightSqlCommand | undefined {
  let any: Any;
  try {
    any = fromBinary(AnySchema, bytes);
  } catch {
    // Not an Any at all: another protocol's command.
    return undefined;
  }
  if (!any.typeUrl.startsWith(TYPE_PREFIX)) return undefined;
  return { name: any.typeUrl.slice(TYPE_PREFIX.length), value: any.value };
}

function decode<Desc extends DescMessage>(schema: Desc, command: FlightSqlCommand): MessageShape<Desc> {
  try {
    return fromBinary(schema, command.value);
  } catch (error) {
    throw new InvalidArgumentError(`The Flight SQL ${command.name} is malformed; check the client.`, { cause: error });
  }
}

function packed<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  return toBinary(AnySchema, anyPack(schema, message));
}

function unsupported(name: string): never {
  throw new FusionError("UNSUPPORTED_FEATURE", `Flight SQL ${name} is not supported by this server.`);
}

/** What GetFlightInfo answers for a Flight SQL command: the result schema and the ticket that runs it. */
export interface FlightSqlPlan {
  schema: Schema;
  ticket: Uint8Array;
}

/** A statement ticket that names a query already started by GetFlightInfo: `<prefix><id>\n<sql>`. */
const STARTED_PREFIX = "mlfusion-started:";
/** How long a query started by GetFlightInfo waits for its DoGet before it is closed. */
const STARTED_QUERY_TTL_MS = 30_000;
/**
 * At most this many started queries wait for their DoGet (each holds a DuckDB connection and its buffered rows);
 * beyond it GetFlightInfo only plans, and the DoGet runs the SQL.
 */
const MAX_STARTED_QUERIES = 16;

type StartedQuery = Awaited<ReturnType<QueryEngine["query"]>>;

/** Flight SQL on top of a query engine. */
export class FlightSqlService {
  private readonly statements;
  /** Statement queries GetFlightInfo started, waiting for their DoGet (taken once). */
  private readonly started = new Map<
    string,
    { result: StartedQuery; expiry: NodeJS.Timeout; controller: AbortController }
  >();

  constructor(
    private readonly engine: QueryEngine,
    private readonly serverVersion: string,
  ) {
    this.statements = createFlightSqlStatements(engine);
  }

  /**
   * GetFlightInfo (`start`) / GetSchema: plans a command. A statement query is started at once with `start`, so
   * that its DoGet neither plans it a second time nor waits for its first rows; the ticket still carries the SQL,
   * and a DoGet that comes too late (or twice) runs it again.
   */
  async plan(command: FlightSqlCommand, signal: AbortSignal, start = false): Promise<FlightSqlPlan> {
    switch (command.name) {
      case "CommandStatementQuery": {
        const { query } = decode(CommandStatementQuerySchema, command);
        let schema: Schema;
        let handle = query;
        if (start && this.started.size < MAX_STARTED_QUERIES) {
          // The query outlives GetFlightInfo until its DoGet or the expiry, so it gets a signal of its own: this
          // call's cancellation is forwarded until the query is started, the DoGet's after it takes the result.
          const controller = new AbortController();
          const forward = () => controller.abort();
          signal.addEventListener("abort", forward, { once: true });
          let result: StartedQuery;
          try {
            result = await this.statements.executeStatement(query, controller.signal);
          } finally {
            signal.removeEventListener("abort", forward);
          }
          const id = randomUUID();
          const expiry = setTimeout(() => this.takeStarted(id)?.result.close(), STARTED_QUERY_TTL_MS);
          expiry.unref();
          this.started.set(id, { result, expiry, controller });
          schema = result.schema;
          handle = `${STARTED_PREFIX}${id}\n${query}`;
        } else {
          schema = await this.statements.statementSchema(query, signal);
        }
        const ticket = packed(TicketStatementQuerySchema, {
          $typeName: "arrow.flight.protocol.sql.TicketStatementQuery",
          statementHandle: Buffer.from(handle, "utf8"),
        });
        return { schema, ticket };
      }
      case "CommandPreparedStatementQuery": {
        const { preparedStatementHandle } = decode(CommandPreparedStatementQuerySchema, command);
        return { schema: this.statements.preparedSchema(preparedStatementHandle), ticket: this.ticket(command) };
      }
      case "CommandGetCatalogs":
        return { schema: GET_CATALOGS_SCHEMA, ticket: this.ticket(command) };
      case "CommandGetDbSchemas":
        return { schema: GET_DB_SCHEMAS_SCHEMA, ticket: this.ticket(command) };
      case "CommandGetTables":
        return {
          schema: getTablesSchema(decode(CommandGetTablesSchema, command).includeSchema),
          ticket: this.ticket(command),
        };
      case "CommandGetTableTypes":
        return { schema: GET_TABLE_TYPES_SCHEMA, ticket: this.ticket(command) };
      case "CommandGetSqlInfo":
        return { schema: GET_SQL_INFO_SCHEMA, ticket: this.ticket(command) };
      default:
        return unsupported(command.name);
    }
  }

  private ticket(command: FlightSqlCommand): Uint8Array {
    return toBinary(AnySchema, {
      $typeName: "google.protobuf.Any",
      typeUrl: TYPE_PREFIX + command.name,
      value: command.value,
    });
  }

  /**
   * DoGet: runs what a ticket names. The result is closed by the caller via `close` when present; `recycle`, when
   * present, takes back the memory of frames already sent (QueryResult.recycle).
   */
  async execute(
    command: FlightSqlCommand,
    signal: AbortSignal,
  ): Promise<
    AsyncIterable<RecordBatch> & {
      schema: Schema;
      close?: () => void;
      recycle?: (chunks: readonly Uint8Array[]) => void;
    }
  > {
    switch (command.name) {
      case "TicketStatementQuery": {
        let sql = Buffer.from(decode(TicketStatementQuerySchema, command).statementHandle).toString("utf8");
        if (sql.startsWith(STARTED_PREFIX)) {
          const newline = sql.indexOf("\n");
          const running = this.takeStarted(sql.slice(STARTED_PREFIX.length, newline));
          if (running !== undefined) {
            // Cancelling the DoGet interrupts the query through its own signal (the caller closes the result).
            if (signal.aborted) running.controller.abort();
            else signal.addEventListener("abort", () => running.controller.abort(), { once: true });
            return running.result;
          }
          sql = sql.slice(newline + 1);
        }
        return this.statements.executeStatement(sql, signal);
      }
      case "CommandPreparedStatementQuery":
        return this.statements.executePrepared(
          decode(CommandPreparedStatementQuerySchema, command).preparedStatementHandle,
          signal,
        );
      case "CommandGetCatalogs":
        decode(CommandGetCatalogsSchema, command);
        return getCatalogs(this.engine, signal);
      case "CommandGetDbSchemas": {
        const request = decode(CommandGetDbSchemasSchema, command);
        const options: GetDbSchemasRequest = {};
        if (request.catalog !== undefined) options.catalog = request.catalog;
        if (request.dbSchemaFilterPattern !== undefined) options.dbSchemaFilterPattern = request.dbSchemaFilterPattern;
        return getDbSchemas(this.engine, options, signal);
      }
      case "CommandGetTables": {
        const request = decode(CommandGetTablesSchema, command);
        const options: GetTablesRequest = { includeSchema: request.includeSchema, tableTypes: request.tableTypes };
        if (request.catalog !== undefined) options.catalog = request.catalog;
        if (request.dbSchemaFilterPattern !== undefined) options.dbSchemaFilterPattern = request.dbSchemaFilterPattern;
        if (request.tableNameFilterPattern !== undefined) {
          options.tableNameFilterPattern = request.tableNameFilterPattern;
        }
        return getTables(this.engine, options, signal);
      }
      case "CommandGetTableTypes":
        decode(CommandGetTableTypesSchema, command);
        return getTableTypes();
      case "CommandGetSqlInfo":
        return getSqlInfo(decode(CommandGetSqlInfoSchema, command).info, {
          serverName: "ML Fusion",
          serverVersion: this.serverVersion,
        });
      default:
        return unsupported(command.name);
    }
  }

  /** The started query with this id, no longer waiting (its expiry disarmed); undefined when unknown or taken. */
  private takeStarted(id: string) {
    const entry = this.started.get(id);
    if (entry === undefined) return undefined;
    this.started.delete(id);
    clearTimeout(entry.expiry);
    return entry;
  }

  /** Closes the started queries no DoGet has taken (server shutdown). */
  close(): void {
    for (const id of [...this.started.keys()]) this.takeStarted(id)?.result.close();
  }

  /** DoAction: the prepared statement actions; returns the result bodies, or undefined for other types. */
  async action(type: string, body: Uint8Array, signal: AbortSignal): Promise<Uint8Array[] | undefined> {
    if (type === "CreatePreparedStatement") {
      const command = this.command(body, "ActionCreatePreparedStatementRequest");
      const { query } = decode(ActionCreatePreparedStatementRequestSchema, command);
      const created = await this.statements.createPreparedStatement(query, signal);
      return [
        packed(ActionCreatePreparedStatementResultSchema, {
          $typeName: "arrow.flight.protocol.sql.ActionCreatePreparedStatementResult",
          preparedStatementHandle: created.handle,
          datasetSchema: created.datasetSchemaIpc,
          parameterSchema: created.parameterSchemaIpc,
        }),
      ];
    }
    if (type === "ClosePreparedStatement") {
      const command = this.command(body, "ActionClosePreparedStatementRequest");
      this.statements.closePreparedStatement(
        decode(ActionClosePreparedStatementRequestSchema, command).preparedStatementHandle,
      );
      return [];
    }
    return undefined;
  }

  private command(body: Uint8Array, expected: string): FlightSqlCommand {
    const command = flightSqlCommand(body);
    if (command === undefined || command.name !== expected) {
      throw new InvalidArgumentError(`The action body must be Any(${expected}).`);
    }
    return command;
  }

  /** DoPut: binds the parameters of a prepared statement; returns PutResult.app_metadata. */
  async put(command: FlightSqlCommand, batches: AsyncIterable<RecordBatch>): Promise<Uint8Array> {
    if (command.name !== "CommandPreparedStatementQuery") return unsupported(`DoPut of ${command.name}`);
    const { preparedStatementHandle } = decode(CommandPreparedStatementQuerySchema, command);
    await this.statements.bindParameters(preparedStatementHandle, batches);
    return toBinary(DoPutPreparedStatementResultSchema, {
      $typeName: "arrow.flight.protocol.sql.DoPutPreparedStatementResult",
      preparedStatementHandle,
    });
  }
}
