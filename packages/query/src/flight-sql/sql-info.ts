import {
  Bool,
  type Data,
  type DataType,
  DenseUnion,
  Field,
  Int32,
  Int64,
  List,
  Map_,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Uint32,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { type FlightSqlResult, inMemoryResult } from "./flight-sql-result.js";

/** FlightSql.proto SqlInfo ids this server answers. */
export const SqlInfo = {
  FLIGHT_SQL_SERVER_NAME: 0,
  FLIGHT_SQL_SERVER_VERSION: 1,
  FLIGHT_SQL_SERVER_ARROW_VERSION: 2,
  FLIGHT_SQL_SERVER_READ_ONLY: 3,
  FLIGHT_SQL_SERVER_SQL: 4,
  FLIGHT_SQL_SERVER_SUBSTRAIT: 5,
  FLIGHT_SQL_SERVER_TRANSACTION: 8,
  FLIGHT_SQL_SERVER_CANCEL: 9,
  SQL_DDL_CATALOG: 500,
  SQL_DDL_SCHEMA: 501,
  SQL_DDL_TABLE: 502,
  SQL_IDENTIFIER_CASE: 503,
  SQL_IDENTIFIER_QUOTE_CHAR: 504,
  SQL_QUOTED_IDENTIFIER_CASE: 505,
  SQL_ALL_TABLES_ARE_SELECTABLE: 506,
  SQL_NULL_ORDERING: 507,
} as const;

/**
 * The `value` union of CommandGetSqlInfo's result (FlightSql.proto), type ids 0-5 in this order. Field names and
 * nullability match the reference schema clients compare against (arrow-go flightsql/schema_ref, used by the ADBC
 * driver): union members are not nullable.
 */
const VALUE_FIELDS = [
  new Field("string_value", new Utf8(), false),
  new Field("bool_value", new Bool(), false),
  new Field("bigint_value", new Int64(), false),
  new Field("int32_bitmask", new Int32(), false),
  new Field("string_list", new List(new Field("item", new Utf8(), true)), false),
  new Field(
    "int32_to_int32_list_map",
    new Map_<Int32, List<Int32>>(
      new Field(
        "entries",
        new Struct<{ key: Int32; value: List<Int32> }>([
          new Field("key", new Int32(), false),
          new Field("value", new List(new Field("item", new Int32(), true)), true),
        ]),
        false,
      ),
    ),
    false,
  ),
];

/** FlightSql.proto CommandGetSqlInfo result schema. */
export const GET_SQL_INFO_SCHEMA = new Schema([
  new Field("info_name", new Uint32(), false),
  new Field("value", new DenseUnion([0, 1, 2, 3, 4, 5], VALUE_FIELDS), false),
]);

type InfoValue =
  | { kind: "string"; value: string }
  | { kind: "bool"; value: boolean }
  | { kind: "int32"; value: number };

/** What the server reports about itself. */
export interface SqlInfoOptions {
  serverName?: string;
  serverVersion: string;
}

/** The server's answers, by SqlInfo id: read-only SQL (DuckDB dialect), no DDL, no transactions, no Substrait. */
function sqlInfoValues(options: SqlInfoOptions): Map<number, InfoValue> {
  const s = (value: string): InfoValue => ({ kind: "string", value });
  const b = (value: boolean): InfoValue => ({ kind: "bool", value });
  const i = (value: number): InfoValue => ({ kind: "int32", value });
  return new Map<number, InfoValue>([
    [SqlInfo.FLIGHT_SQL_SERVER_NAME, s(options.serverName ?? "ML Fusion")],
    [SqlInfo.FLIGHT_SQL_SERVER_VERSION, s(options.serverVersion)],
    [SqlInfo.FLIGHT_SQL_SERVER_ARROW_VERSION, s("21.2.0")],
    [SqlInfo.FLIGHT_SQL_SERVER_READ_ONLY, b(true)],
    [SqlInfo.FLIGHT_SQL_SERVER_SQL, b(true)],
    [SqlInfo.FLIGHT_SQL_SERVER_SUBSTRAIT, b(false)],
    [SqlInfo.FLIGHT_SQL_SERVER_TRANSACTION, i(0)], // SQL_SUPPORTED_TRANSACTION_NONE
    [SqlInfo.FLIGHT_SQL_SERVER_CANCEL, b(false)],
    [SqlInfo.SQL_DDL_CATALOG, b(false)],
    [SqlInfo.SQL_DDL_SCHEMA, b(false)],
    [SqlInfo.SQL_DDL_TABLE, b(false)],
    [SqlInfo.SQL_IDENTIFIER_CASE, i(1)], // SQL_CASE_SENSITIVITY_CASE_INSENSITIVE
    [SqlInfo.SQL_IDENTIFIER_QUOTE_CHAR, s('"')],
    [SqlInfo.SQL_QUOTED_IDENTIFIER_CASE, i(1)],
    [SqlInfo.SQL_ALL_TABLES_ARE_SELECTABLE, b(true)],
    [SqlInfo.SQL_NULL_ORDERING, i(3)], // SQL_NULLS_SORTED_AT_END (DuckDB's default)
  ]);
}

/**
 * CommandGetSqlInfo: the requested info ids this server knows (all of them when `info` is empty), in request
 * order; unknown ids are left out, as the spec allows.
 */
export function getSqlInfo(info: readonly number[], options: SqlInfoOptions): FlightSqlResult {
  const values = sqlInfoValues(options);
  const ids = (info.length === 0 ? [...values.keys()] : info).filter((id) => values.has(id));
  const typeIds = new Int8Array(ids.length);
  const valueOffsets = new Int32Array(ids.length);
  const members: unknown[][] = [[], [], [], [], [], []];
  ids.forEach((id, row) => {
    const v = values.get(id);
    if (v === undefined) return;
    const member = v.kind === "string" ? 0 : v.kind === "bool" ? 1 : 3;
    const list = members[member] ?? [];
    typeIds[row] = member;
    valueOffsets[row] = list.length;
    list.push(v.value);
  });
  const children = VALUE_FIELDS.map((f, m) => dataOf(members[m] ?? [], f.type));
  const unionField = GET_SQL_INFO_SCHEMA.fields[1];
  const idField = GET_SQL_INFO_SCHEMA.fields[0];
  if (unionField === undefined || idField === undefined) throw new TypeError("GetSqlInfo schema is malformed.");
  const union = makeData({
    type: new DenseUnion([0, 1, 2, 3, 4, 5], VALUE_FIELDS),
    length: ids.length,
    nullCount: 0,
    typeIds,
    valueOffsets,
    children,
  });
  const batch = new RecordBatch(
    GET_SQL_INFO_SCHEMA,
    makeData({
      type: new Struct(GET_SQL_INFO_SCHEMA.fields),
      length: ids.length,
      nullCount: 0,
      children: [dataOf(ids, idField.type), union],
    }),
  );
  return inMemoryResult(GET_SQL_INFO_SCHEMA, [batch]);
}

function dataOf(values: unknown[], type: DataType): Data {
  const [data] = vectorFromArray(values, type).data;
  if (data === undefined) throw new TypeError(`No data built for ${String(type)}.`);
  return data;
}
