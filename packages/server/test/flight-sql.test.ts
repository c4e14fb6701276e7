// Flight SQL with a standard client (ADBC's Flight SQL driver) against the real server.
import { type FusionServer, startFusionServer } from "@mlfusion/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { flightPython, lastJson } from "./python-flight.js";

let server: FusionServer;
beforeAll(async () => {
  server = await startFusionServer();
  await flightPython(
    server.url,
    `
put(["shop", "orders"], pa.table({"id": [1, 2, 3, 4], "amount": [10.0, 20.0, 30.0, 40.0], "region": ["n", "s", "n", "s"]}))
put(["shop", "customers"], pa.table({"id": [1, 2], "name": ["ann", "bob"]}))
`,
  );
});
afterAll(async () => {
  await server.close();
});

const ADBC = `
import adbc_driver_flightsql.dbapi as flightsql
conn = flightsql.connect(URL)
cur = conn.cursor()
`;

test("runs statements and prepared statements with parameters", async () => {
  const out = await flightPython(
    server.url,
    `${ADBC}
cur.execute('SELECT region, sum(amount) AS total FROM "shop"."orders" GROUP BY region ORDER BY region')
totals = cur.fetch_arrow_table().to_pylist()
cur.execute('SELECT id FROM "shop"."orders" WHERE amount > ? ORDER BY id', parameters=(15.0,))
bigger = [r["id"] for r in cur.fetch_arrow_table().to_pylist()]
bad = error_of(lambda: cur.execute('SELECT nope FROM "shop"."orders"'))
cur.close(); conn.close()
print(json.dumps({"totals": totals, "bigger": bigger, "bad": bad}))
`,
  );
  const result = lastJson<{ totals: unknown[]; bigger: number[]; bad: string }>(out);
  expect(result.totals).toEqual([
    { region: "n", total: 40 },
    { region: "s", total: 60 },
  ]);
  expect(result.bigger).toEqual([2, 3, 4]);
  expect(result.bad).toMatch(/nope/);
});

test("answers the catalog commands: table types, schemas, tables with their Arrow schemas, SqlInfo", async () => {
  const out = await flightPython(
    server.url,
    `${ADBC}
types = conn.adbc_get_table_types()
objects = conn.adbc_get_objects(depth="all").read_all().to_pylist()
tables = sorted((s["db_schema_name"], t["table_name"]) for c in objects for s in (c["catalog_db_schemas"] or []) for t in (s["db_schema_tables"] or []))
schema = conn.adbc_get_table_schema("orders", db_schema_filter="shop")
info = conn.adbc_get_info()
conn.close()
print(json.dumps({"types": types, "tables": tables, "schema": schema.names, "vendor": info.get("vendor_name")}))
`,
  );
  const result = lastJson<{ types: string[]; tables: [string, string][]; schema: string[]; vendor: string }>(out);
  expect(result.types).toEqual(["TABLE"]);
  expect(result.tables).toEqual([
    ["shop", "customers"],
    ["shop", "orders"],
  ]);
  expect(result.schema).toEqual(["id", "amount", "region"]);
  expect(result.vendor).toBe("ML Fusion");
});

test("GetFlightInfo starts a statement; its ticket serves it once, then runs the SQL again; GetSchema starts nothing", async () => {
  const out = await flightPython(
    server.url,
    `
def varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80]); n >>= 7
    return out + bytes([n])
def field(num, data):
    return bytes([(num << 3) | 2]) + varint(len(data)) + data
def statement(sql):
    command = field(1, sql.encode())
    return field(1, b"type.googleapis.com/arrow.flight.protocol.sql.CommandStatementQuery") + field(2, command)
descriptor = fl.FlightDescriptor.for_command(statement('SELECT id FROM "shop"."orders" WHERE id > 1 ORDER BY id'))
info = client.get_flight_info(descriptor)
ticket = info.endpoints[0].ticket
first = client.do_get(ticket).read_all()["id"].to_pylist()
again = client.do_get(ticket).read_all()["id"].to_pylist()
schema = client.get_schema(descriptor).schema.names
# Started but never fetched (more than the engine's pooled connections, and than the server keeps waiting):
# the server keeps answering.
for _ in range(20):
    client.get_flight_info(fl.FlightDescriptor.for_command(statement('SELECT count(*) AS n FROM "shop"."orders"')))
later = client.do_get(client.get_flight_info(descriptor).endpoints[0].ticket).read_all()["id"].to_pylist()
print(json.dumps({"first": first, "again": again, "schema": schema, "later": later, "info_schema": info.schema.names}))
`,
  );
  expect(lastJson(out)).toEqual({
    first: [2, 3, 4],
    again: [2, 3, 4],
    schema: ["id"],
    later: [2, 3, 4],
    info_schema: ["id"],
  });
});
