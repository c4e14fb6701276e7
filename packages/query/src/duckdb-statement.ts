import {
  blobValue,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  DuckDBTypeId,
  type DuckDBValue,
  dateValue,
  StatementType,
  timestampTZValue,
  timestampValue,
} from "@duckdb/node-api";
import { FusionError } from "@mlfusion/core";
import { Field, Schema, Utf8 } from "apache-arrow";
import { arrowTypeOf, type NativeKind, nativeKindOf } from "./arrow/native-kinds.js";
import { resultSchema } from "./arrow/result-batches.js";
import { notASelectError } from "./query-errors.js";
import { quoteIdentifier } from "./sql/table-rewrite.js";

/**
 * A point in time bound exactly: microseconds since the epoch, as TIMESTAMP WITH TIME ZONE (`utc`) or TIMESTAMP.
 * A `Date` parameter binds as TIMESTAMP with millisecond precision.
 */
export interface TimestampParameter {
  readonly kind: "timestamp";
  readonly micros: bigint;
  readonly utc: boolean;
}

/** A calendar date bound as DATE: days since 1970-01-01. */
export interface DateParameter {
  readonly kind: "date";
  readonly days: number;
}

/** A value bound to a `?` / `$n` parameter. */
export type QueryParameter =
  | string
  | number
  | bigint
  | boolean
  | null
  | Date
  | Uint8Array
  | TimestampParameter
  | DateParameter;

/** A prepared SELECT whose result columns all have native Arrow copies, with its Arrow schema. */
export interface NativePrepared {
  statement: DuckDBPreparedStatement;
  schema: Schema;
  kinds: NativeKind[];
}

/**
 * Prepares the rewritten query, refuses anything but SELECT (DuckDB's own statement type), and wraps it so that
 * columns of types without a native Arrow copy (nested, UUID, INTERVAL, ENUM...) arrive as VARCHAR text.
 */
export async function preparedWithNativeTypes(connection: DuckDBConnection, sql: string): Promise<NativePrepared> {
  const statement = await connection.prepare(sql);
  if (statement.statementType !== StatementType.SELECT) throw notASelectError("a statement that is not SELECT");
  const names: string[] = [];
  const kinds: (NativeKind | undefined)[] = [];
  for (let i = 0; i < statement.columnCount; i++) {
    names.push(statement.columnName(i));
    if (statement.columnTypeId(i) === DuckDBTypeId.INVALID) {
      // A parameter whose type DuckDB cannot infer (e.g. the argument of an overloaded function) leaves the
      // column's type unknown until values are bound; results need their Arrow schema before that.
      statement.destroySync();
      throw new FusionError(
        "INVALID_ARGUMENT",
        `The type of result column ${i + 1} (${names[i]}) depends on a parameter whose type cannot be inferred; cast the parameter, e.g. CAST(? AS TIMESTAMP).`,
      );
    }
    kinds.push(nativeKindOf(statement.columnType(i)));
  }
  if (kinds.every((k) => k !== undefined)) {
    const native = kinds.filter((k) => k !== undefined);
    return { statement, schema: resultSchema(names, native), kinds: native };
  }
  const columns = kinds.map((k, i) =>
    k === undefined
      ? `CAST(#${i + 1} AS VARCHAR) AS ${quoteIdentifier(names[i] ?? "")}`
      : `#${i + 1} AS ${quoteIdentifier(names[i] ?? "")}`,
  );
  statement.destroySync();
  const wrapped = await connection.prepare(`SELECT ${columns.join(", ")} FROM (${sql}) AS __fusion_result`);
  const wrappedKinds: NativeKind[] = [];
  for (let i = 0; i < wrapped.columnCount; i++) {
    const kind = nativeKindOf(wrapped.columnType(i));
    if (kind === undefined) throw new FusionError("INTERNAL", `Column ${names[i]} could not be converted to Arrow.`);
    wrappedKinds.push(kind);
  }
  return { statement: wrapped, schema: resultSchema(names, wrappedKinds), kinds: wrappedKinds };
}

export function parameterSchemaOf(statement: DuckDBPreparedStatement): Schema {
  const fields: Field[] = [];
  for (let i = 1; i <= statement.parameterCount; i++) {
    // Parameters whose type DuckDB cannot infer from the query (INVALID / ANY) are offered as text.
    const typeId = statement.parameterTypeId(i);
    const known = typeId !== DuckDBTypeId.INVALID && typeId !== DuckDBTypeId.ANY && typeId !== DuckDBTypeId.SQLNULL;
    const kind = known ? nativeKindOf(statement.parameterType(i)) : undefined;
    const type = kind === undefined ? new Utf8() : arrowTypeOf(kind);
    fields.push(new Field(`$${i}`, type, true));
  }
  return new Schema(fields);
}

export function bindParameters(statement: DuckDBPreparedStatement, parameters: readonly QueryParameter[]): void {
  if (parameters.length === 0) return;
  if (parameters.length !== statement.parameterCount) {
    throw new FusionError(
      "INVALID_ARGUMENT",
      `The query has ${statement.parameterCount} parameters but ${parameters.length} values were given.`,
    );
  }
  const values: DuckDBValue[] = parameters.map((p) => {
    if (p instanceof Date) return timestampValue(BigInt(p.getTime()) * 1000n);
    if (p instanceof Uint8Array) return blobValue(p);
    if (p !== null && typeof p === "object") {
      if (p.kind === "date") return dateValue(p.days);
      return p.utc ? timestampTZValue(p.micros) : timestampValue(p.micros);
    }
    return p;
  });
  statement.bind(values);
}
