import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTempDir, runPython, type TempDir } from "@mlfusion/testing";
import {
  DateDay,
  Field,
  Int32,
  makeData,
  type RecordBatch,
  RecordBatch as RecordBatchClass,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampSecond,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDeltaCatalog,
  createFlightSqlStatements,
  createQueryEngine,
  type FlightSqlResult,
  getCatalogs,
  getDbSchemas,
  getSqlInfo,
  getTables,
  getTableTypes,
  type QueryEngine,
  SqlInfo,
} from "../src/index.js";
import { writeFixtures } from "./fixtures.js";

let dir: TempDir;
let engine: QueryEngine;

beforeAll(async () => {
  dir = await createTempDir("query-flight-sql-");
  const { dataRoot } = await writeFixtures(dir.path);
  // A table with a reader feature nobody implements: listed, but not readable.
  const log = join(dataRoot, "demo", "broken", "_delta_log");
  await mkdir(log, { recursive: true });
  const protocol = {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: ["futureFeature"],
    writerFeatures: ["futureFeature"],
  };
  const schemaString = JSON.stringify({
    type: "struct",
    fields: [{ name: "a", type: "long", nullable: true, metadata: {} }],
  });
  const metaData = {
    id: "x",
    format: { provider: "parquet", options: {} },
    schemaString,
    partitionColumns: [],
    configuration: {},
  };
  await writeFile(
    join(log, "00000000000000000000.json"),
    `${JSON.stringify({ protocol })}\n${JSON.stringify({ metaData })}\n`,
  );
  engine = createQueryEngine({ catalog: createDeltaCatalog({ dataRoot }), config: { timeoutMs: 30_000 } });
});

afterAll(async () => {
  await engine?.close();
  await dir?.close();
});

async function rows(result: FlightSqlResult): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const batch of result) for (const row of batch) out.push(row?.toJSON() ?? {});
  return out;
}

/** Writes a result as an Arrow IPC stream and reads it back with pyarrow: the spec schemas must be valid Arrow. */
async function viaPyarrow(result: FlightSqlResult, script: string): Promise<string> {
  const batches: RecordBatch[] = [];
  for await (const batch of result) batches.push(batch);
  const path = join(dir.path, `r-${Math.random().toString(36).slice(2)}.arrow`);
  await writeFile(path, tableToIPC(new Table(result.schema, batches), "stream"));
  const { stdout } = await runPython(
    `import sys, json, pyarrow as pa\nt = pa.ipc.open_stream(open(sys.argv[1], "rb").read()).read_all()\n${script}`,
    [path],
  );
  return stdout.trim();
}

describe("Flight SQL commands", () => {
  it("lists catalogs, db schemas and table types", async () => {
    expect(await rows(await getCatalogs(engine))).toEqual([]);
    expect(await rows(await getDbSchemas(engine, {}))).toEqual([
      { catalog_name: null, db_schema_name: "demo" },
      { catalog_name: null, db_schema_name: "demo/crm" },
    ]);
    expect(await rows(await getDbSchemas(engine, { catalog: "", dbSchemaFilterPattern: "%/c%" }))).toEqual([
      { catalog_name: null, db_schema_name: "demo/crm" },
    ]);
    expect(await rows(await getDbSchemas(engine, { catalog: "demo" }))).toEqual([]);
    expect(await rows(getTableTypes())).toEqual([{ table_type: "TABLE" }]);
  });

  it("lists tables with their schemas as IPC messages pyarrow reads", async () => {
    const result = await getTables(engine, { includeSchema: true, tableNameFilterPattern: "%s" });
    const out = await viaPyarrow(
      result,
      `ref = pa.schema([pa.field("catalog_name", pa.utf8()), pa.field("db_schema_name", pa.utf8()),
    pa.field("table_name", pa.utf8(), False), pa.field("table_type", pa.utf8(), False),
    pa.field("table_schema", pa.binary(), False)])
assert t.schema.equals(ref), f"{t.schema} != {ref}"
print(json.dumps([[r["catalog_name"], r["db_schema_name"], r["table_name"], r["table_type"], pa.ipc.read_schema(pa.py_buffer(r["table_schema"])).names] for r in t.to_pylist()]))`,
    );
    expect(JSON.parse(out)).toEqual([
      [null, "demo", "sales", "TABLE", ["id", "region", "customer_id", "amount", "qty", "day", "ts", "note"]],
      [null, "demo/crm", "customers", "TABLE", ["id", "name", "tier"]],
    ]);
    // What a client lists, quoted, names the dataset.
    const listed = await engine.query(`SELECT count(*) AS n FROM "demo/crm"."customers"`);
    for await (const batch of listed) expect(batch.getChild("n")?.get(0)).toBe(50n);
  });

  it("lists a dataset it cannot read with an empty schema, and a query on it says why", async () => {
    const result = await getTables(engine, { includeSchema: true, tableNameFilterPattern: "broken" });
    const out = await viaPyarrow(
      result,
      `print(json.dumps([[r["db_schema_name"], r["table_name"], pa.ipc.read_schema(pa.py_buffer(r["table_schema"])).names] for r in t.to_pylist()]))`,
    );
    expect(JSON.parse(out)).toEqual([["demo", "broken", []]]);
    await expect(engine.query(`SELECT * FROM "demo"."broken"`)).rejects.toMatchObject({ code: "UNSUPPORTED_FEATURE" });
  });

  it("answers GetSqlInfo with the spec's dense union, readable by pyarrow", async () => {
    const result = getSqlInfo(
      [SqlInfo.FLIGHT_SQL_SERVER_NAME, SqlInfo.FLIGHT_SQL_SERVER_READ_ONLY, SqlInfo.SQL_IDENTIFIER_CASE, 99999],
      { serverVersion: "0.1.0" },
    );
    // The reference schema as arrow-go's flightsql/schema_ref spells it (the ADBC driver compares with it).
    const out = await viaPyarrow(
      result,
      `ref = pa.schema([pa.field("info_name", pa.uint32(), False), pa.field("value", pa.dense_union([
    pa.field("string_value", pa.utf8(), False), pa.field("bool_value", pa.bool_(), False),
    pa.field("bigint_value", pa.int64(), False), pa.field("int32_bitmask", pa.int32(), False),
    pa.field("string_list", pa.list_(pa.utf8()), False),
    pa.field("int32_to_int32_list_map", pa.map_(pa.int32(), pa.list_(pa.int32())), False)]), False)])
assert t.schema.equals(ref), f"{t.schema} != {ref}"
print(json.dumps(t.to_pylist()))`,
    );
    expect(JSON.parse(out)).toEqual([
      { info_name: 0, value: "ML Fusion" },
      { info_name: 3, value: true },
      { info_name: 503, value: 1 },
    ]);
  });

  it("runs a statement query and a prepared statement with bound parameters", async () => {
    const statements = createFlightSqlStatements(engine);
    const sql = `SELECT count(*) AS n FROM "demo"."sales" WHERE region = 'east'`;
    expect((await statements.statementSchema(sql)).fields.map((f) => f.name)).toEqual(["n"]);
    expect(await rows(await statements.executeStatement(sql))).toEqual([{ n: 200n }]);

    const created = await statements.createPreparedStatement(
      `SELECT id, name FROM "demo"."crm"."customers" WHERE tier = ? AND id < ? ORDER BY id`,
    );
    expect(created.datasetSchema.fields.map((f) => f.name)).toEqual(["id", "name"]);
    expect(created.parameterSchema.fields.map((f) => String(f.type))).toEqual(["Utf8", "Int32"]);
    const { stdout } = await runPython(
      `import sys, pyarrow as pa\nprint(pa.ipc.read_schema(pa.py_buffer(bytes.fromhex(sys.argv[1]))).names)`,
      [Buffer.from(created.datasetSchemaIpc).toString("hex")],
    );
    expect(stdout.trim()).toBe("['id', 'name']");

    const params = new Schema([new Field("0", new Utf8(), true), new Field("1", new Int32(), true)]);
    const children = [vectorFromArray(["gold"], new Utf8()).data[0], vectorFromArray([10], new Int32()).data[0]];
    const batch = new RecordBatchClass(
      params,
      makeData({
        type: new Struct(params.fields),
        length: 1,
        nullCount: 0,
        children: children.filter((c) => c !== undefined),
      }),
    );
    await statements.bindParameters(
      created.handle,
      (async function* () {
        yield batch;
      })(),
    );
    expect(await rows(await statements.executePrepared(created.handle))).toEqual([
      { id: 0, name: "customer 0" },
      { id: 3, name: "customer 3" },
      { id: 6, name: "customer 6" },
      { id: 9, name: "customer 9" },
    ]);
    statements.closePreparedStatement(created.handle);
    expect(() => statements.preparedSchema(created.handle)).toThrow(/does not exist/);
  });

  it("binds timestamp and date parameters exactly (microseconds, time zone, days)", async () => {
    const statements = createFlightSqlStatements(engine);
    const created = await statements.createPreparedStatement(
      `SELECT epoch_us(CAST(? AS TIMESTAMP)) AS plain, epoch_us(CAST(? AS TIMESTAMPTZ)) AS utc,
              epoch_us(CAST(? AS TIMESTAMPTZ)) AS millis, CAST(CAST(? AS DATE) AS VARCHAR) AS day`,
    );
    const params = new Schema([
      new Field("0", new TimestampMicrosecond(), true),
      new Field("1", new TimestampMicrosecond("UTC"), true),
      new Field("2", new TimestampMillisecond("UTC"), true),
      new Field("3", new DateDay(), true),
    ]);
    const micros = 1_700_000_000_123_456n;
    const children = [
      makeData({ type: new TimestampMicrosecond(), length: 1, data: BigInt64Array.of(micros) }),
      makeData({ type: new TimestampMicrosecond("UTC"), length: 1, data: BigInt64Array.of(micros) }),
      makeData({ type: new TimestampMillisecond("UTC"), length: 1, data: BigInt64Array.of(1_700_000_000_123n) }),
      makeData({ type: new DateDay(), length: 1, data: Int32Array.of(19_782) }),
    ];
    const batch = new RecordBatchClass(
      params,
      makeData({ type: new Struct(params.fields), length: 1, nullCount: 0, children }),
    );
    await statements.bindParameters(
      created.handle,
      (async function* () {
        yield batch;
      })(),
    );
    expect(await rows(await statements.executePrepared(created.handle))).toEqual([
      { plain: micros, utc: micros, millis: 1_700_000_000_123_000n, day: "2024-02-29" },
    ]);
    statements.closePreparedStatement(created.handle);
    // A bound column that is a slice of a longer one reads the sliced row; a timestamp beyond int64 microseconds
    // is refused as bad input.
    const sliced = await statements.createPreparedStatement("SELECT epoch_us(CAST(? AS TIMESTAMP)) AS plain");
    const one = new Schema([new Field("0", new TimestampMicrosecond(), true)]);
    const column = makeData({ type: new TimestampMicrosecond(), length: 3, data: BigInt64Array.of(1n, 22n, 333n) });
    const bindOne = (child: typeof column) =>
      statements.bindParameters(
        sliced.handle,
        (async function* () {
          yield new RecordBatchClass(one, makeData({ type: new Struct(one.fields), length: 1, children: [child] }));
        })(),
      );
    await bindOne(column.slice(1, 1));
    expect(await rows(await statements.executePrepared(sliced.handle))).toEqual([{ plain: 22n }]);
    const seconds = new Schema([new Field("0", new TimestampSecond(), true)]);
    await expect(
      statements.bindParameters(
        sliced.handle,
        (async function* () {
          const huge = makeData({
            type: new TimestampSecond(),
            length: 1,
            data: BigInt64Array.of(9_000_000_000_000_000n),
          });
          yield new RecordBatchClass(
            seconds,
            makeData({ type: new Struct(seconds.fields), length: 1, children: [huge] }),
          );
        })(),
      ),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    statements.closePreparedStatement(sliced.handle);
    // Without the casts DuckDB cannot type the result before values are bound: a clear error, not INTERNAL.
    await expect(statements.createPreparedStatement("SELECT epoch_us(?) AS x")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/cast the parameter/),
    });
  });
});
