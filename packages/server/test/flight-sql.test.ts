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
