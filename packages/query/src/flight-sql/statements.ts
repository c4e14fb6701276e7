import { randomBytes } from "node:crypto";
import { FusionError, NotFoundError } from "@mlfusion/core";
import {
  type DataType,
  Date_ as DateType,
  DateUnit,
  type RecordBatch,
  type Schema,
  Timestamp,
  TimeUnit,
  Type,
  type Vector,
} from "apache-arrow";
import type { QueryParameter } from "../duckdb-statement.js";
import type { QueryEngine } from "../query-engine.js";
import type { QueryResult } from "../query-result.js";
import { serializeSchema } from "./flight-sql-result.js";

/** ActionCreatePreparedStatementResult, with the schemas both as Arrow and as the IPC bytes the proto carries. */
export interface CreatedPreparedStatement {
  /** Opaque handle for CommandPreparedStatementQuery / ActionClosePreparedStatementRequest. */
  handle: Uint8Array;
  datasetSchema: Schema;
  parameterSchema: Schema;
  /** IPC-encapsulated schema messages for `dataset_schema` and `parameter_schema`. */
  datasetSchemaIpc: Uint8Array;
  parameterSchemaIpc: Uint8Array;
}

/**
 * Flight SQL statements (FlightSql.proto): CommandStatementQuery, and prepared statements created by
 * ActionCreatePreparedStatementRequest, given parameters by DoPut(CommandPreparedStatementQuery), run by
 * GetFlightInfo + DoGet, and dropped by ActionClosePreparedStatementRequest.
 */
export interface FlightSqlStatements {
  /** GetFlightInfo(CommandStatementQuery): validates the query and returns its result schema. */
  statementSchema(sql: string, signal?: AbortSignal): Promise<Schema>;
  /** DoGet(TicketStatementQuery): runs the query. */
  executeStatement(sql: string, signal?: AbortSignal): Promise<QueryResult>;
  /** DoAction(CreatePreparedStatement). */
  createPreparedStatement(sql: string, signal?: AbortSignal): Promise<CreatedPreparedStatement>;
  /** DoPut(CommandPreparedStatementQuery): binds the (single-row) parameter batch for later executions. */
  bindParameters(handle: Uint8Array, batches: AsyncIterable<RecordBatch>): Promise<void>;
  /** GetFlightInfo(CommandPreparedStatementQuery): the result schema of a prepared statement. */
  preparedSchema(handle: Uint8Array): Schema;
  /** DoGet for a prepared statement: runs it with its bound parameters. */
  executePrepared(handle: Uint8Array, signal?: AbortSignal): Promise<QueryResult>;
  /** DoAction(ClosePreparedStatement). Closing an unknown handle is not an error. */
  closePreparedStatement(handle: Uint8Array): void;
}

interface PreparedEntry {
  sql: string;
  schema: Schema;
  parameterCount: number;
  parameters: QueryParameter[];
  lastUsed: number;
}

/** Prepared statements live in memory; the oldest are dropped beyond this many. */
const MAX_PREPARED_STATEMENTS = 1024;

/**
 * Statement handling over a query engine.
 *
 * @example
 * const statements = createFlightSqlStatements(engine);
 * const { handle } = await statements.createPreparedStatement("SELECT * FROM iris WHERE species = ?");
 */
export function createFlightSqlStatements(engine: QueryEngine): FlightSqlStatements {
  const prepared = new Map<string, PreparedEntry>();
  const entry = (handle: Uint8Array): PreparedEntry => {
    const found = prepared.get(Buffer.from(handle).toString("hex"));
    if (found === undefined) {
      throw new NotFoundError("The prepared statement does not exist (closed or expired); prepare it again.");
    }
    found.lastUsed = Date.now();
    return found;
  };
  return {
    statementSchema: async (sql, signal) => (await engine.prepare(sql, signal === undefined ? {} : { signal })).schema,
    executeStatement: (sql, signal) => engine.query(sql, signal === undefined ? {} : { signal }),
    createPreparedStatement: async (sql, signal) => {
      const query = await engine.prepare(sql, signal === undefined ? {} : { signal });
      if (prepared.size >= MAX_PREPARED_STATEMENTS) {
        const oldest = [...prepared.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
        if (oldest !== undefined) prepared.delete(oldest[0]);
      }
      const handle = randomBytes(16);
      prepared.set(handle.toString("hex"), {
        sql,
        schema: query.schema,
        parameterCount: query.parameterCount,
        parameters: [],
        lastUsed: Date.now(),
      });
      return {
        handle: new Uint8Array(handle),
        datasetSchema: query.schema,
        parameterSchema: query.parameterSchema,
        datasetSchemaIpc: serializeSchema(query.schema),
        parameterSchemaIpc: serializeSchema(query.parameterSchema),
      };
    },
    bindParameters: async (handle, batches) => {
      const target = entry(handle);
      const rows: QueryParameter[][] = [];
      for await (const batch of batches) {
        for (let r = 0; r < batch.numRows; r++) {
          rows.push(batch.schema.fields.map((f, c) => parameterAt(batch.getChildAt(c), r, f.type)));
        }
      }
      if (rows.length > 1) {
        throw new FusionError(
          "INVALID_ARGUMENT",
          `Bind one row of parameters to a query (got ${rows.length}); run the statement once per row instead.`,
        );
      }
      const values = rows[0] ?? [];
      if (values.length !== target.parameterCount) {
        throw new FusionError(
          "INVALID_ARGUMENT",
          `The statement takes ${target.parameterCount} parameters but ${values.length} were bound.`,
        );
      }
      target.parameters = values;
    },
    preparedSchema: (handle) => entry(handle).schema,
    executePrepared: (handle, signal) => {
      const target = entry(handle);
      if (target.parameters.length !== target.parameterCount) {
        throw new FusionError(
          "INVALID_ARGUMENT",
          `The statement takes ${target.parameterCount} parameters; bind them with DoPut before executing it.`,
        );
      }
      return engine.query(target.sql, {
        parameters: target.parameters,
        ...(signal === undefined ? {} : { signal }),
      });
    },
    closePreparedStatement: (handle) => {
      prepared.delete(Buffer.from(handle).toString("hex"));
    },
  };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const MICROS_PER_UNIT: Record<TimeUnit, bigint | undefined> = {
  [TimeUnit.SECOND]: 1_000_000n,
  [TimeUnit.MILLISECOND]: 1_000n,
  [TimeUnit.MICROSECOND]: 1n,
  [TimeUnit.NANOSECOND]: undefined,
};

/**
 * Row `row` of a bound parameter column as a query parameter. Timestamps and dates come from the raw stored value
 * (apache-arrow's `get` rounds timestamps to milliseconds): exact to the microsecond, nanoseconds truncated.
 */
function parameterAt(column: Vector | null, row: number, type: DataType): QueryParameter {
  const value: unknown = column?.get(row);
  if (column === null || value === null || value === undefined) return null;
  if (type instanceof Timestamp) {
    const raw = rawValue(column, row);
    if (typeof raw !== "bigint") return String(value);
    const scale = MICROS_PER_UNIT[type.unit];
    const micros = scale === undefined ? raw / 1000n : raw * scale;
    if (micros < INT64_MIN || micros > INT64_MAX) {
      throw new FusionError("INVALID_ARGUMENT", `Timestamp parameter ${raw} (${TimeUnit[type.unit]}) is out of range.`);
    }
    return { kind: "timestamp", micros, utc: type.timezone !== null && type.timezone !== "" };
  }
  if (type instanceof DateType) {
    const raw = rawValue(column, row);
    if (typeof raw !== "number" && typeof raw !== "bigint") return String(value);
    // Date32 stores days, Date64 milliseconds.
    const days = type.unit === DateUnit.DAY ? Number(raw) : Math.floor(Number(raw) / 86_400_000);
    return { kind: "date", days };
  }
  return toParameter(value, type);
}

/** The stored (unconverted) value of row `row`: the element of the backing typed array. */
function rawValue(column: Vector, row: number): unknown {
  let offset = row;
  for (const data of column.data) {
    // `values` already starts at the slice's offset.
    if (offset < data.length) return data.values[offset];
    offset -= data.length;
  }
  return undefined;
}

/** An Arrow value (as apache-arrow's `get` returns it) as a query parameter. */
function toParameter(value: unknown, type: DataType): QueryParameter {
  if (type.typeId === Type.Decimal) return String(value);
  if (
    typeof value === "string" ||
    typeof value === "number" ||
    typeof value === "bigint" ||
    typeof value === "boolean" ||
    value instanceof Uint8Array
  ) {
    return value;
  }
  return String(value);
}
