// The query engine against DuckDB in Python on the same Parquet files (the Delta table's data files), in one
// process tree: an aggregate and a selective filter over a 10M-row dataset, and a 1M-row result transfer.
// Also splits the transfer into DuckDB execution (chunks fetched, not converted) and conversion to Arrow.
// Usage: npm run build && node bench/query-bench.mjs [--rows 10000000] [--runs 5]
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { createDeltaCatalog, createQueryEngine } from "@mlfusion/query";

const here = dirname(fileURLToPath(import.meta.url));
const python = process.env.FUSION_PYTHON ?? join(here, "..", ".venv", "bin", "python");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const rows = option("--rows", 10_000_000);
const runs = option("--runs", 5);
const run = promisify(execFile);

const dataRoot = await mkdtemp(join(tmpdir(), "query-bench-"));
try {
  let t0 = performance.now();
  await run(python, [join(here, "query-bench.py"), "generate", dataRoot, String(rows)], { maxBuffer: 1 << 26 });
  console.log(`generated ${rows} rows in ${Math.round(performance.now() - t0)} ms (10 Delta data files)`);
  const tableDir = join(dataRoot, "bench", "events");
  const files = (await readdir(tableDir)).filter((f) => f.endsWith(".parquet")).map((f) => join(tableDir, f));
  const parquet = `read_parquet([${files.map((f) => `'${f}'`).join(", ")}])`;
  const mid = Math.floor(rows / 2);
  const cases = [
    { name: "aggregate", sql: "SELECT label, count(*) AS n, sum(x) AS sx, avg(id) AS aid FROM {t} GROUP BY label" },
    { name: "selective filter", sql: `SELECT * FROM {t} WHERE id BETWEEN ${mid} AND ${mid + 1000}` },
    { name: "1M-row transfer", sql: "SELECT id, x, label, ts FROM {t} WHERE id < 1000000" },
  ];

  const casesFile = join(dataRoot, "cases.json");
  await writeFile(
    casesFile,
    JSON.stringify(cases.map((c) => ({ name: c.name, sql: c.sql.replaceAll("{t}", parquet) }))),
  );
  const anchor = spawn(python, [join(here, "query-bench.py"), "serve", casesFile], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const replies = createInterface({ input: anchor.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await replies.next()).value);
  await next();
  const runAnchor = async (name) => {
    anchor.stdin.write(`${name}\n`);
    return next();
  };

  const engine = createQueryEngine({ catalog: createDeltaCatalog({ dataRoot }), config: { timeoutMs: 600_000 } });
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log("\ncase               | ours ms | DuckDB-Python ms | ratio | rows      | files opened");
  console.log("-------------------|---------|------------------|-------|-----------|-------------");
  for (const c of cases) {
    const times = [];
    const anchorTimes = [];
    let got = 0;
    let opened = "";
    // Alternate ours and DuckDB-Python run by run, after one warm-up each, so both see the same machine load.
    for (let i = 0; i <= runs; i++) {
      t0 = performance.now();
      const result = await engine.query(c.sql.replaceAll("{t}", '"bench"."events"'));
      got = 0;
      for await (const batch of result) got += batch.numRows;
      const ms = performance.now() - t0;
      opened = `${result.scans[0]?.filesOpened}/${result.scans[0]?.filesTotal}`;
      const theirs = await runAnchor(c.name);
      if (i === 0) continue;
      times.push(ms);
      anchorTimes.push(theirs.ms);
    }
    const ours = median(times);
    const theirs = median(anchorTimes);
    console.log(
      `${c.name.padEnd(19)}| ${ours.toFixed(0).padStart(7)} | ${theirs.toFixed(0).padStart(16)} | ${(ours / theirs).toFixed(2).padStart(5)} | ${String(got).padStart(9)} | ${opened}`,
    );
  }
  anchor.stdin.end();
  await engine.close();

  // Where the transfer time goes: DuckDB alone in Node (chunks fetched, nothing converted) vs ours.
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const raw = [];
  for (let i = 0; i < runs; i++) {
    t0 = performance.now();
    const result = await connection.stream(cases[2].sql.replaceAll("{t}", parquet));
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
    }
    raw.push(performance.now() - t0);
  }
  connection.closeSync();
  instance.closeSync();
  console.log(
    `\n1M-row transfer, DuckDB in Node without conversion: ${median(raw).toFixed(0)} ms (the rest of ours is planning + conversion to Arrow)`,
  );
} finally {
  await rm(dataRoot, { recursive: true, force: true });
}
