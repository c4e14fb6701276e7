import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTempDir, runPython, type TempDir } from "@mlfusion/testing";
import { type RecordBatch, Table, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeltaCatalog, createQueryEngine, type QueryEngine } from "../src/index.js";
import { writeFixtures } from "./fixtures.js";

let dir: TempDir;
let engine: QueryEngine;
let parquetDir: string;

beforeAll(async () => {
  dir = await createTempDir("query-correctness-");
  const fixtures = await writeFixtures(dir.path);
  parquetDir = fixtures.parquetDir;
  engine = createQueryEngine({
    catalog: createDeltaCatalog({ dataRoot: fixtures.dataRoot }),
    config: { timeoutMs: 30_000 },
  });
});

afterAll(async () => {
  await engine?.close();
  await dir?.close();
});

/** Each query is written once with placeholders: our engine gets dataset names, DuckDB-Python gets Parquet files. */
const CASES: { name: string; sql: string }[] = [
  {
    name: "aggregate by partition column",
    sql: "SELECT region, count(*) AS n, sum(amount) AS total, avg(qty) AS avg_qty, min(day) AS first_day, max(ts) AS last_ts, count(note) AS notes FROM {sales} GROUP BY region ORDER BY region",
  },
  {
    name: "join of two datasets",
    sql: "SELECT c.tier, c.name, count(*) AS orders, sum(s.amount) AS spent FROM {sales} s JOIN {customers} c ON c.id = s.customer_id WHERE s.qty > 3 GROUP BY c.tier, c.name ORDER BY spent DESC, c.name LIMIT 20",
  },
  {
    name: "window functions",
    sql: "SELECT id, region, amount, row_number() OVER (PARTITION BY region ORDER BY amount DESC, id) AS rank_in_region, sum(amount) OVER (PARTITION BY region ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS rolling FROM {sales} WHERE id % 7 = 0 ORDER BY region, id",
  },
  {
    name: "filters on partition and data columns",
    sql: "SELECT id, region, amount, day, note FROM {sales} WHERE region IN ('east', 'west') AND id BETWEEN 250 AND 420 AND day >= DATE '2024-01-20' AND note IS NOT NULL ORDER BY id",
  },
  {
    name: "time travel to an older version",
    sql: "SELECT region, count(*) AS n, max(id) AS max_id FROM {sales_v0} GROUP BY region ORDER BY region",
  },
  {
    name: "subquery, CTE and string functions",
    sql: "WITH big AS (SELECT customer_id, sum(amount) AS total FROM {sales} WHERE region = 'north' GROUP BY customer_id) SELECT upper(c.name) AS name, b.total FROM big b JOIN {customers} c ON c.id = b.customer_id WHERE b.total > (SELECT avg(total) FROM big) ORDER BY b.total DESC, name",
  },
  {
    name: "nested results: lists, structs, maps, slices and nulls",
    sql: "SELECT region, list(id ORDER BY id) FILTER (WHERE id % 50 = 0) AS ids, {'region': region, 'n': count(*), 'notes': list(note ORDER BY id)[1:3]} AS summary, map([region], [sum(qty)]) AS m, list_reverse(list(qty ORDER BY id))[2:4] AS rev, CASE WHEN region = 'north' THEN NULL ELSE [[1, 2], NULL, []] END AS nested FROM {sales} GROUP BY region ORDER BY region",
  },
  {
    name: "strings of every length around the 12-byte inline limit, empty and null",
    sql: "SELECT id, repeat(note, id % 5) AS r, left(note, id % 14) AS l, '' AS e, encode(note) AS b FROM {sales} WHERE id < 60 ORDER BY id",
  },
  {
    name: "a column added by a later commit reads as null in older files",
    sql: "SELECT a, b, b IS NULL AS missing FROM {evolving} ORDER BY a",
  },
  {
    name: "empty result after file skipping",
    sql: "SELECT id, amount FROM {sales} WHERE id > 100000 ORDER BY id",
  },
];

describe("query correctness against DuckDB in Python over the same Parquet data", () => {
  it("returns the same rows as DuckDB for aggregates, joins, windows, filters and time travel", async () => {
    const compare: { name: string; arrow: string; sql: string }[] = [];
    for (const [i, c] of CASES.entries()) {
      const ours = c.sql
        .replaceAll("{sales_v0}", '"demo"."sales" AT (VERSION => 0)')
        .replaceAll("{sales}", '"demo"."sales"')
        .replaceAll("{customers}", '"demo"."crm"."customers"')
        .replaceAll("{evolving}", '"demo"."evolving"');
      const result = await engine.query(ours);
      const batches: RecordBatch[] = [];
      for await (const batch of result) batches.push(batch);
      const arrow = join(dir.path, `case-${i}.arrow`);
      await writeFile(arrow, tableToIPC(new Table(result.schema, batches), "file"));
      const parquet = (name: string) => `read_parquet('${join(parquetDir, name)}')`;
      const theirs = c.sql
        .replaceAll("{sales_v0}", parquet("sales_v0.parquet"))
        .replaceAll("{sales}", parquet("sales_v1.parquet"))
        .replaceAll("{customers}", parquet("customers.parquet"))
        .replaceAll("{evolving}", parquet("evolving.parquet"));
      compare.push({ name: c.name, arrow, sql: theirs });
    }
    const casesFile = join(dir.path, "cases.json");
    await writeFile(casesFile, JSON.stringify(compare));
    const { stdout } = await runPython(COMPARE_SCRIPT, [casesFile]);
    const report: { name: string; ok: boolean; rows: number; detail: string }[] = JSON.parse(stdout);
    expect(report.filter((r) => !r.ok)).toEqual([]);
    expect(report.map((r) => r.rows).reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
  });

  it("opens only the files of the partition a query filters on", async () => {
    const result = await engine.query(`SELECT count(*) AS n FROM "demo"."sales" WHERE region = 'east'`);
    const rows: bigint[] = [];
    for await (const batch of result) rows.push(batch.getChild("n")?.get(0));
    expect(rows).toEqual([200n]);
    expect(result.scans).toHaveLength(1);
    expect(result.scans[0]).toMatchObject({ key: ["demo", "sales"], version: 1, filesTotal: 6, filesOpened: 2 });
  });

  it("opens only the files whose min/max stats overlap a narrow range", async () => {
    const result = await engine.query(`SELECT id FROM "demo"."sales" s WHERE s.id BETWEEN 310 AND 320 ORDER BY id`);
    let rows = 0;
    for await (const batch of result) rows += batch.numRows;
    expect(rows).toBe(11);
    expect(result.scans[0]).toMatchObject({ filesTotal: 6, filesOpened: 1 });
  });

  it("skips files on an OR of comparisons of one column", async () => {
    const result = await engine.query(
      `SELECT count(*) AS n FROM "demo"."sales" WHERE region = 'east' OR region = 'west'`,
    );
    for await (const batch of result) expect(batch.getChild("n")?.get(0)).toBe(400n);
    expect(result.scans[0]).toMatchObject({ filesTotal: 6, filesOpened: 4 });
  });

  it("skips per reference: each side of a join with its own filter", async () => {
    const result = await engine.query(
      `SELECT count(*) FROM "demo"."sales" a JOIN "demo"."sales" b AT (VERSION => 0) ON a.id = b.id WHERE a.region = 'west' AND b.id < 50`,
    );
    for await (const _ of result) {
      // drain
    }
    expect(result.scans.map((s) => [s.version, s.filesOpened])).toEqual([
      [1, 2],
      [0, 1],
    ]);
  });

  it("resolves an unambiguous single-segment table name and a slash-separated key", async () => {
    const a = await engine.query(`SELECT count(*) AS n FROM customers`);
    const b = await engine.query(`SELECT count(*) AS n FROM "demo/crm/customers"`);
    for (const result of [a, b]) {
      for await (const batch of result) expect(batch.getChild("n")?.get(0)).toBe(50n);
      expect(result.scans[0]?.key).toEqual(["demo", "crm", "customers"]);
    }
  });

  it("travels to the version current at a timestamp", async () => {
    const result = await engine.query(
      `SELECT count(*) AS n FROM "demo"."sales" AT (TIMESTAMP => '2999-01-01 00:00:00')`,
    );
    for await (const batch of result) expect(batch.getChild("n")?.get(0)).toBe(600n);
    expect(result.scans[0]?.version).toBe(1);
  });

  it("leaves CTEs that shadow a dataset name to DuckDB", async () => {
    const result = await engine.query(`WITH sales AS (SELECT 42 AS n) SELECT n FROM sales`);
    for await (const batch of result) expect(batch.getChild("n")?.get(0)).toBe(42);
    expect(result.scans).toEqual([]);
  });

  it("returns types without a native Arrow copy as text", async () => {
    const result = await engine.query(`SELECT INTERVAL 1 DAY AS i, uuid() IS NOT NULL AS u, gen_random_uuid() AS g`);
    expect(result.schema.fields.map((f) => String(f.type))).toEqual(["Utf8", "Bool", "Utf8"]);
    for await (const batch of result) expect(batch.getChild("i")?.get(0)).toBe("1 day");
  });

  it("runs queries concurrently, and a consumer may stop early", async () => {
    const counts = await Promise.all(
      ["east", "north", "west", "east"].map(async (region) => {
        let n: unknown;
        const result = await engine.query(`SELECT count(*) AS n FROM "demo"."sales" WHERE region = ?`, {
          parameters: [region],
        });
        for await (const batch of result) n = batch.getChild("n")?.get(0);
        return n;
      }),
    );
    expect(counts).toEqual([200n, 200n, 200n, 200n]);
    const big = await engine.query("SELECT range AS i FROM range(1000000)");
    for await (const batch of big) {
      expect(batch.numRows).toBeGreaterThan(0);
      break;
    }
    const after = await engine.query(`SELECT count(*) AS n FROM "demo"."sales"`);
    for await (const batch of after) expect(batch.getChild("n")?.get(0)).toBe(600n);
  });

  it("names datasets by per-query table names first (CommandExecuteQuery sources)", async () => {
    const result = await engine.query(
      "SELECT count(*) AS n FROM orders JOIN people ON people.id = orders.customer_id",
      {
        tableNames: { orders: ["demo", "sales"], people: ["demo", "crm", "customers"] },
      },
    );
    for await (const batch of result) expect(batch.getChild("n")?.get(0)).toBe(600n);
    expect(result.scans.map((s) => s.key.join("/"))).toEqual(["demo/sales", "demo/crm/customers"]);
  });

  it("binds parameters", async () => {
    const count = async (sql: string, parameters: (string | number)[] = []) => {
      let n: unknown;
      for await (const batch of await engine.query(sql, { parameters })) n = batch.getChild("n")?.get(0);
      return n;
    };
    const bound = await count(`SELECT count(*) AS n FROM "demo"."sales" WHERE region = ? AND qty > ?`, ["west", 10]);
    expect(bound).toBe(await count(`SELECT count(*) AS n FROM "demo"."sales" WHERE region = 'west' AND qty > 10`));
    expect(bound).toBeGreaterThan(0n);
  });
});

const COMPARE_SCRIPT = `
import sys, json, math, duckdb, pyarrow.ipc as ipc

def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b

cases = json.load(open(sys.argv[1]))
con = duckdb.connect()
report = []
for c in cases:
    ours = ipc.open_file(c["arrow"]).read_all()
    theirs = con.sql(c["sql"]).fetch_arrow_table()
    ok = ours.column_names == theirs.column_names and ours.num_rows == theirs.num_rows
    detail = ""
    if not ok:
        detail = f"columns {ours.column_names} vs {theirs.column_names}, rows {ours.num_rows} vs {theirs.num_rows}"
    else:
        for i, (x, y) in enumerate(zip(ours.to_pylist(), theirs.to_pylist())):
            if not all(same(x[k], y[k]) for k in x):
                ok = False
                detail = f"row {i}: {x!r} vs {y!r}"
                break
    report.append({"name": c["name"], "ok": ok, "rows": ours.num_rows, "detail": detail})
print(json.dumps(report))
`;
