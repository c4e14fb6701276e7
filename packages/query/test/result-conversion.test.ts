import { DuckDBInstance } from "@duckdb/node-api";
import { type RecordBatch, Table, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchMemory,
  encodePlan,
  nativeAddon,
  nativeConversionStatus,
  resultHandle,
} from "../src/arrow/native-batches.js";
import { type BatchLimits, resultBatches } from "../src/arrow/result-batches.js";
import { preparedWithNativeTypes } from "../src/duckdb-statement.js";

// The native conversion (packages/query/native/duckdb_arrow.cc) against the JavaScript builders, on the same
// DuckDB results: every column kind, nulls at every position, batches cut at odd sizes so that validity bits,
// offsets and list children continue across chunks and batches at unaligned positions.

let instance: DuckDBInstance;

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
});

afterAll(() => {
  instance.closeSync();
});

async function convert(sql: string, native: boolean, limits: BatchLimits): Promise<RecordBatch[]> {
  const connection = await instance.connect();
  try {
    const prepared = await preparedWithNativeTypes(connection, sql);
    const result = await prepared.statement.stream();
    const batches: RecordBatch[] = [];
    for await (const batch of resultBatches(result, prepared.schema, prepared.kinds, () => {}, limits, native)) {
      batches.push(batch);
    }
    return batches;
  } finally {
    connection.closeSync();
  }
}

/** Rows as JSON (BigInt as text, binary as hex), so that any difference in any value shows. */
function rowsOf(batches: RecordBatch[]): string[] {
  const table = new Table(batches);
  return table.toArray().map((row) =>
    JSON.stringify(row.toJSON(), (_key, value) => {
      if (typeof value === "bigint") return `${value}n`;
      if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
      if (typeof value === "number" && !Number.isFinite(value)) return String(value);
      if (typeof value === "number" && Object.is(value, -0)) return "-0";
      return value;
    }),
  );
}

const EVERY_KIND = `
  SELECT
    i,
    CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 256 - 128)::TINYINT END AS i8,
    CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 37 % 65536 - 32768)::SMALLINT END AS i16,
    CASE WHEN i % 13 = 0 THEN NULL ELSE (i * 7919)::INTEGER * (CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END) END AS i32,
    CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1000003 * 1000003 END AS i64,
    (i % 256)::UTINYINT AS u8, (i % 65536)::USMALLINT AS u16, (i * 65537)::UINTEGER AS u32,
    CASE WHEN i % 5 = 0 THEN 18446744073709551615::UBIGINT ELSE i::UBIGINT END AS u64,
    CASE i % 6 WHEN 0 THEN 'nan'::FLOAT WHEN 1 THEN '-inf'::FLOAT WHEN 2 THEN -0.0::FLOAT ELSE (i / 3)::FLOAT END AS f32,
    CASE i % 5 WHEN 0 THEN 'inf'::DOUBLE WHEN 1 THEN NULL ELSE i / 7 END AS f64,
    CASE WHEN i % 4 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
    CASE WHEN i % 9 = 0 THEN NULL ELSE DATE '1900-01-01' + (i * 13)::INTEGER END AS d,
    TIME '00:00:00' + INTERVAL (i) SECOND AS t,
    CASE WHEN i % 8 = 0 THEN NULL ELSE TIMESTAMP '1960-01-01' + INTERVAL (i * 123457) SECOND END AS ts,
    (TIMESTAMP '2000-01-01' + INTERVAL (i) MINUTE)::TIMESTAMPTZ AS tstz,
    (TIMESTAMP '2000-01-01' + INTERVAL (i) SECOND)::TIMESTAMP_S AS ts_s,
    (TIMESTAMP '2000-01-01' + INTERVAL (i) MILLISECOND)::TIMESTAMP_MS AS ts_ms,
    (TIMESTAMP '2000-01-01' + INTERVAL (i) MICROSECOND)::TIMESTAMP_NS AS ts_ns,
    CASE WHEN i % 10 = 0 THEN NULL ELSE (((i % 1999) - 999) / 10)::DECIMAL(4, 1) END AS dec2,
    ((i - 2500) * 12.3456)::DECIMAL(9, 4) AS dec4,
    CASE WHEN i % 17 = 0 THEN NULL ELSE ((i - 1000) * 98765432.1)::DECIMAL(18, 3) END AS dec8,
    ((i - 1000)::HUGEINT * 12345678901234567890::HUGEINT)::DECIMAL(38, 2) AS dec16,
    (i - 1000)::HUGEINT * 17014118346046923173168730371588410 AS huge,
    CASE WHEN i % 6 = 0 THEN NULL ELSE repeat('x', i % 20) || i::VARCHAR END AS s,
    CASE WHEN i % 4 = 0 THEN NULL ELSE encode('é' || repeat('ü', i % 15)) END AS bin,
    CASE WHEN i % 5 = 0 THEN NULL WHEN i % 5 = 1 THEN [] ELSE [i, NULL, i + 1][1:(i % 3) + 1] END AS l,
    CASE WHEN i % 7 = 0 THEN NULL ELSE {'a': i, 'b': CASE WHEN i % 2 = 0 THEN NULL ELSE 'v' || i::VARCHAR END, 'c': [i % 3 = 0]} END AS st,
    CASE WHEN i % 6 = 0 THEN NULL ELSE MAP {'k' || (i % 4)::VARCHAR: i, 'z': NULL} END AS m,
    CASE WHEN i % 3 = 0 THEN NULL ELSE [[i::VARCHAR, NULL], NULL, []] END AS ll
  FROM range(0, 5000) AS r(i)
`;

describe("native conversion of DuckDB results", () => {
  it("is built and loaded (npm run build compiles it; it needs a C++ compiler)", () => {
    expect(nativeConversionStatus()).toMatchObject({ loaded: true });
    expect(nativeAddon()).toBeDefined();
  });

  for (const limits of [
    { maxRows: 128 * 1024, maxBytes: 4 * 1024 * 1024 },
    { maxRows: 1000, maxBytes: 4 * 1024 * 1024 },
    { maxRows: 1, maxBytes: 1 },
  ]) {
    it(`copies every column kind exactly like the JavaScript builders (batches of ${limits.maxRows} rows)`, async () => {
      const js = await convert(EVERY_KIND, false, limits);
      const native = await convert(EVERY_KIND, true, limits);
      expect(String(new Table(native).schema)).toBe(String(new Table(js).schema));
      expect(native.reduce((n, b) => n + b.numRows, 0)).toBe(5000);
      expect(rowsOf(native)).toEqual(rowsOf(js));
      // The batches serialise: every buffer has the length Arrow expects.
      expect(() => tableToIPC(new Table(native), "stream")).not.toThrow();
    });
  }

  it("converts chunks of every size a filter leaves (nulls at unaligned positions)", async () => {
    const sql = `SELECT i, CASE WHEN i % 3 = 0 THEN NULL ELSE i::VARCHAR END AS s, i % 2 = 0 AS b FROM range(0, 100000) AS r(i) WHERE hash(i) % 7 < 3`;
    const limits = { maxRows: 4099, maxBytes: 1 << 30 };
    const native = await convert(sql, true, limits);
    const js = await convert(sql, false, limits);
    expect(rowsOf(native)).toEqual(rowsOf(js));
    expect(native.length).toBeGreaterThan(3);
  });

  it("takes unbounded limits as unbounded (one batch)", async () => {
    const batches = await convert("SELECT i FROM range(0, 10000) AS r(i)", true, {
      maxRows: Number.POSITIVE_INFINITY,
      maxBytes: Number.POSITIVE_INFINITY,
    });
    expect(batches.map((b) => b.numRows)).toEqual([10000]);
  });

  it("stops the call in flight at its next chunk when the consumer stops reading", async () => {
    // md5 of 1M rows takes seconds and the batch limit lets one call take all of them: calls return after ~100 ms
    // with what they have, and the call in flight when the consumer stops returns at its next chunk.
    const connection = await instance.connect();
    try {
      const prepared = await preparedWithNativeTypes(
        connection,
        "SELECT md5(i::VARCHAR) AS h FROM range(0, 1000000) r(i)",
      );
      const result = await prepared.statement.stream();
      const limits = { maxRows: 1_000_000, maxBytes: 1 << 30 };
      const iterator = resultBatches(result, prepared.schema, prepared.kinds, () => {}, limits, true);
      const first = await iterator.next();
      expect(first.done).toBe(false);
      const started = performance.now();
      await iterator.return(undefined);
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      connection.closeSync();
    }
  });

  it("fetches on the pump's thread; a stopped pump frees the result for the connection's next statement", async () => {
    const addon = nativeAddon();
    if (addon === undefined) throw new Error(`the addon is not loaded: ${JSON.stringify(nativeConversionStatus())}`);
    const connection = await instance.connect();
    try {
      const prepared = await preparedWithNativeTypes(connection, "SELECT i FROM range(0, 1000000) r(i)");
      const result = await prepared.statement.stream();
      const handle = resultHandle(result);
      const plan = encodePlan(prepared.kinds);
      // Only a pump is read from, never the result itself (the pump's thread owns it).
      expect(() => addon.fetchBatch(handle as never, plan, 10, 1 << 30)).toThrow(/not a pump/);
      const pump = addon.startPump(handle, 4);
      const first = await addon.fetchBatch(pump, plan, 4096, 1 << 30);
      const second = await addon.fetchBatch(pump, plan, 4096, 1 << 30);
      expect([first?.rows, first?.done, second?.rows]).toEqual([4096, false, 4096]);
      await addon.stopPump(pump);
      await addon.stopPump(pump); // settles at once
      expect(() => addon.fetchBatch(pump, plan, 10, 1 << 30)).toThrow(/stopped/);
      // The abandoned result ends when the connection runs its next statement.
      const next = await connection.runAndReadAll("SELECT 42 AS answer");
      expect(next.getRows()).toEqual([[42]]);
    } finally {
      connection.closeSync();
    }
  });

  it("recycles the buffers of batches written out: they are detached, later batches stay intact", async () => {
    const sql =
      "SELECT i, 'row ' || i::VARCHAR AS s, CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END AS x FROM range(0, 60000) r(i)";
    const limits = { maxRows: 4096, maxBytes: 1 << 30 };
    const expected = rowsOf(await convert(sql, false, limits));
    const connection = await instance.connect();
    try {
      const prepared = await preparedWithNativeTypes(connection, sql);
      const result = await prepared.statement.stream();
      const memory = new BatchMemory(nativeAddon());
      const foreign = new Uint8Array(16).fill(7);
      const seen: string[] = [];
      let recycled = 0;
      for await (const batch of resultBatches(
        result,
        prepared.schema,
        prepared.kinds,
        () => {},
        limits,
        true,
        memory,
      )) {
        // Read the batch, then hand back its buffers as a sender would after writing them out.
        seen.push(...rowsOf([batch]));
        const chunks = batch.data.children.flatMap((child) =>
          [child.values, child.valueOffsets, child.nullBitmap]
            .filter((view): view is NonNullable<typeof view> => view !== undefined && view.byteLength > 0)
            .map((view) => new Uint8Array(view.buffer, view.byteOffset, view.byteLength)),
        );
        memory.recycle([...chunks, foreign]);
        for (const chunk of chunks) expect(chunk.buffer.byteLength).toBe(0);
        recycled += chunks.length;
        memory.recycle(chunks); // twice: nothing left to detach
      }
      expect(foreign.every((b) => b === 7)).toBe(true);
      expect(recycled).toBeGreaterThan(30);
      expect(seen).toEqual(expected);
    } finally {
      connection.closeSync();
    }
  });

  it("returns no batch for an empty result", async () => {
    expect(await convert("SELECT 1 AS a, 'x' AS b WHERE false", true, { maxRows: 10, maxBytes: 10 })).toEqual([]);
  });

  it("fails with DuckDB's error when the query fails part-way through the rows", async () => {
    const sql = `SELECT i, CAST(CASE WHEN i < 300000 THEN '1' ELSE 'not a number' END AS INTEGER) AS v FROM range(0, 400000) AS r(i)`;
    const rows: number[] = [];
    const connection = await instance.connect();
    try {
      const prepared = await preparedWithNativeTypes(connection, sql);
      const result = await prepared.statement.stream();
      const limits = { maxRows: 50_000, maxBytes: 1 << 30 };
      await expect(
        (async () => {
          for await (const batch of resultBatches(result, prepared.schema, prepared.kinds, () => {}, limits, true)) {
            rows.push(batch.numRows);
          }
        })(),
        // DuckDB sometimes reports the failure as an interrupt instead (a race inside DuckDB between the failing
        // thread's interrupt and the error being rethrown); either way the rows do not end silently.
      ).rejects.toThrow(/Conversion Error.*not a number|INTERRUPT Error/);
    } finally {
      connection.closeSync();
    }
  });
});
