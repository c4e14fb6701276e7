import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FusionError } from "@mlfusion/core";
import { createTempDir, type TempDir } from "@mlfusion/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeltaCatalog, createQueryEngine, type QueryEngine, type QueryOptions } from "../src/index.js";
import { writeFixtures } from "./fixtures.js";

let dir: TempDir;
let dataRoot: string;
let engine: QueryEngine;

beforeAll(async () => {
  dir = await createTempDir("query-refusals-");
  ({ dataRoot } = await writeFixtures(dir.path));
  await writeFile(join(dataRoot, "secret.csv"), "a,b\n1,2\n");
  engine = createQueryEngine({ catalog: createDeltaCatalog({ dataRoot }), config: { timeoutMs: 30_000 } });
});

afterAll(async () => {
  await engine?.close();
  await dir?.close();
});

/** Runs a query to completion and returns the FusionError it failed with. */
async function failure(sql: string, options: QueryOptions = {}): Promise<FusionError> {
  try {
    const result = await engine.query(sql, options);
    for await (const _ of result) {
      // drain
    }
  } catch (error) {
    if (error instanceof FusionError) return error;
    throw error;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe("the query sandbox", () => {
  const refused: [string, string][] = [
    ["read_csv of a local file", "SELECT * FROM read_csv('/etc/passwd')"],
    ["read_csv of a file inside the data root", `SELECT * FROM read_csv('${"DATA"}/secret.csv')`],
    [
      "read_parquet of a dataset file bypassing the catalog",
      `SELECT * FROM read_parquet('${"DATA"}/demo/**/*.parquet')`,
    ],
    ["glob over the data root", `SELECT * FROM glob('${"DATA"}/*')`],
    ["a URL", "SELECT * FROM 'https://example.com/data.parquet'"],
    ["COPY ... TO", `COPY (SELECT 1) TO '${"DATA"}/out.csv'`],
    ["COPY of a dataset", `COPY "demo"."sales" TO '/tmp/stolen.csv'`],
    ["ATTACH", "ATTACH ':memory:' AS other"],
    ["ATTACH a file", `ATTACH '${"DATA"}/x.duckdb' AS other`],
    ["INSTALL", "INSTALL httpfs"],
    ["LOAD", "LOAD httpfs"],
    ["SET of an engine setting", "SET enable_external_access = true"],
    ["SET threads", "SET threads = 64"],
    ["PRAGMA", "PRAGMA database_list"],
    ["CREATE TABLE", "CREATE TABLE t AS SELECT 1"],
    ["EXPORT DATABASE", `EXPORT DATABASE '${"DATA"}/export'`],
    ["two statements", "SELECT 1; SELECT 2"],
    ["a write hidden after a SELECT", `SELECT 1; COPY (SELECT 1) TO '${"DATA"}/out.csv'`],
    ["a file read inside a subquery", "SELECT (SELECT count(*) FROM read_text('/etc/hostname'))"],
    ["engine metadata functions", "SELECT * FROM duckdb_settings()"],
    ["a relative file name as a table", "SELECT * FROM './secret.csv'"],
    ["a schema-qualified table function", "SELECT * FROM main.read_csv('/etc/passwd')"],
    ["a table function inside a CTE", "WITH x AS (SELECT * FROM read_text('/etc/hostname')) SELECT * FROM x"],
    [
      "a table function in a time-travel clause",
      `SELECT * FROM "demo"."sales" AT (VERSION => (SELECT count(*) FROM read_text('/etc/hostname')))`,
    ],
    ["SUMMARIZE", `SUMMARIZE "demo"."sales"`],
    ["DESCRIBE", `DESCRIBE "demo"."sales"`],
    ["a transaction", "BEGIN TRANSACTION"],
    ["CALL", "CALL pragma_version()"],
  ];
  for (const [what, template] of refused) {
    it(`refuses ${what} with PERMISSION_DENIED or INVALID_ARGUMENT`, async () => {
      const error = await failure(template.replaceAll("DATA", dataRoot));
      expect(["PERMISSION_DENIED", "INVALID_ARGUMENT"]).toContain(error.code);
    });
  }

  it("keeps serving after refusals, and during and after a query that hits its deadline", async () => {
    const slow = failure("SELECT sum(a.range * b.range) FROM range(100000000) a, range(1000000) b", { timeoutMs: 500 });
    const fast = await engine.query(`SELECT count(*) AS n FROM "demo"."sales" WHERE region = 'west'`);
    for await (const batch of fast) expect(batch.getChild("n")?.get(0)).toBe(200n);
    expect((await slow).code).toBe("DEADLINE_EXCEEDED");
  });

  it("keeps serving after refusals", async () => {
    const result = await engine.query(`SELECT count(*) AS n FROM "demo"."sales"`);
    for await (const batch of result) expect(batch.getChild("n")?.get(0)).toBe(600n);
  });
});

describe("bad input", () => {
  it("reports a syntax error as INVALID_ARGUMENT with DuckDB's message and position", async () => {
    const error = await failure("SELECT id,\n  FROM WHERE");
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.message).toMatch(/syntax error at or near "WHERE"/);
    expect(error.details).toMatchObject({ line: 2, column: 8 });
  });

  it("reports an unknown dataset as NOT_FOUND", async () => {
    expect((await failure(`SELECT * FROM "demo"."nope"`)).code).toBe("NOT_FOUND");
    expect((await failure("SELECT * FROM nope")).code).toBe("NOT_FOUND");
  });

  it("reports a version that does not exist as NOT_FOUND", async () => {
    expect((await failure(`SELECT * FROM "demo"."sales" AT (VERSION => 42)`)).code).toBe("NOT_FOUND");
  });

  it("reports a time before the first commit as NOT_FOUND, and a malformed AT clause as INVALID_ARGUMENT", async () => {
    expect((await failure(`SELECT * FROM "demo"."sales" AT (TIMESTAMP => '2000-01-01')`)).code).toBe("NOT_FOUND");
    expect((await failure(`SELECT * FROM "demo"."sales" AT (VERSION => 'x')`)).code).toBe("INVALID_ARGUMENT");
  });

  it("reports an unknown column as INVALID_ARGUMENT", async () => {
    const error = await failure(`SELECT no_such_column FROM "demo"."sales"`);
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.message).toMatch(/no_such_column/);
  });

  it("stops a query over its time limit with DEADLINE_EXCEEDED", async () => {
    const started = Date.now();
    const error = await failure("SELECT sum(a.range * b.range) FROM range(100000000) a, range(1000000) b", {
      timeoutMs: 300,
    });
    expect(error.code).toBe("DEADLINE_EXCEEDED");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("fails the next read, not the process, when the query is stopped while the consumer holds a batch", async () => {
    // Slow rows, so that the call fetching the next batch is still in flight (for up to its 100 ms budget) when
    // close() interrupts the query right after the first batch: its failure must reach the reader, not escape as
    // an unhandled rejection (which would end the process).
    const sql = "SELECT md5(repeat(i::VARCHAR, 1000)) AS h FROM range(0, 10000000) r(i)";
    const reads = async (result: Awaited<ReturnType<QueryEngine["query"]>>, pause: () => void) => {
      const iterator = result[Symbol.asyncIterator]();
      expect((await iterator.next()).done).toBe(false);
      pause();
      await new Promise((resolve) => setTimeout(resolve, 600));
      try {
        while (!(await iterator.next()).done) {
          // drain
        }
      } catch (error) {
        return error instanceof FusionError ? error.code : String(error);
      }
      return "ended";
    };
    // Node ends the process on an unhandled rejection; the test runner forgives one handled later, so watch here.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const closed = await engine.query(sql);
      expect(await reads(closed, () => closed.close())).toBe("CANCELLED");
      const fast = "SELECT md5(i::VARCHAR) AS h FROM range(0, 50000000) r(i)";
      expect(await reads(await engine.query(fast, { timeoutMs: 300 }), () => undefined)).toBe("DEADLINE_EXCEEDED");
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("ends DuckDB's work at once when the consumer stops early or closes the result", async () => {
    // The first rows come at once, the rest would take seconds of scanning: stopping must not wait for them.
    const sql = "SELECT i, 'x' || i::VARCHAR AS s FROM range(0, 3000000000) r(i) WHERE i < 131072 OR i % 100000007 = 0";
    const stopped = await engine.query(sql);
    let started = performance.now();
    for await (const _ of stopped) {
      started = performance.now();
      break;
    }
    expect(performance.now() - started).toBeLessThan(1_000);
    const closed = await engine.query(sql);
    const iterator = closed[Symbol.asyncIterator]();
    await iterator.next();
    started = performance.now();
    closed.close();
    await expect(iterator.next()).rejects.toThrow(/closed/);
    expect(performance.now() - started).toBeLessThan(1_000);
    // Both connections are usable again at once.
    started = performance.now();
    const [a, b] = await Promise.all([engine.query("SELECT 1 AS one"), engine.query("SELECT 2 AS two")]);
    const values: unknown[] = [];
    for await (const batch of a) values.push(batch.getChild("one")?.get(0));
    for await (const batch of b) values.push(batch.getChild("two")?.get(0));
    expect(values).toEqual([1, 2]);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("cancels a running query through its AbortSignal", async () => {
    const controller = new AbortController();
    const pending = failure("SELECT sum(a.range * b.range) FROM range(100000000) a, range(1000000) b", {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    expect((await pending).code).toBe("CANCELLED");
  });
});

describe("parameters that change a result's type", () => {
  it("refuses with INVALID_ARGUMENT instead of reading the rows with the prepared layout, and keeps serving", async () => {
    // Prepared as VARCHAR (coalesce with a string literal); bound to an integer, DuckDB re-binds it as INTEGER.
    const changed = await failure("SELECT coalesce(?, 'x') AS x FROM range(3000)", { parameters: [100] });
    expect(changed.code).toBe("INVALID_ARGUMENT");
    expect(changed.message).toMatch(/column 1 \(x\) has type INTEGER .* not VARCHAR as prepared; cast the parameter/);
    const widened = await failure("SELECT coalesce(?, 1) AS y FROM range(10)", { parameters: [1.5] });
    expect(widened.code).toBe("INVALID_ARGUMENT");
    // The same statement with a parameter of the prepared type runs, on the same pooled connections.
    for (let i = 0; i < 6; i++) {
      const result = await engine.query("SELECT coalesce(?, 'x') AS x FROM range(3000)", { parameters: ["a"] });
      let rows = 0;
      for await (const batch of result) rows += batch.numRows;
      expect(rows).toBe(3000);
    }
  });
});
