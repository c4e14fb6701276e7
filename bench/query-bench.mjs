// The SQL engine through Flight against DuckDB in Python on the same Parquet files (the Delta table's data files),
// in one process tree: an aggregate and a selective filter over a 10M-row dataset, and a 1M-row result transfer.
// Our server runs in this process; bench/query-bench.py is the client (pyarrow.flight with a CommandExecuteQuery
// ticket, and the ADBC Flight SQL driver) and the anchor (DuckDB's `to_arrow_table` in the same Python process),
// alternating run by run. Afterwards the transfer runs once more through the engine alone in Node (no transport).
// Usage: npm run build && node bench/query-bench.mjs [--rows 10000000] [--runs 9]
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createDeltaCatalog, createQueryEngine } from "@mlfusion/query";
import { createDeltaDatasetCatalog, startFlightServer } from "@mlfusion/server";

const here = dirname(fileURLToPath(import.meta.url));
const python = process.env.FUSION_PYTHON ?? join(here, "..", ".venv", "bin", "python");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const rows = option("--rows", 10_000_000);
const runs = option("--runs", 9);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs bench/query-bench.py; resolves with its stdout lines parsed as JSON, after it exits with 0. */
function python3(...argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [join(here, "query-bench.py"), ...argv], { stdio: ["ignore", "pipe", "inherit"] });
    const lines = [];
    createInterface({ input: child.stdout }).on("line", (line) => {
      const parsed = JSON.parse(line);
      lines.push(parsed);
      if (parsed.name !== undefined) report(parsed);
    });
    child.on("exit", (code) => (code === 0 ? resolve(lines) : reject(new Error(`query-bench.py exited ${code}`))));
  });
}

function report({ name, ms, rows: got }) {
  const ratio = (x) => (x / ms.duckdb).toFixed(2).padStart(5);
  console.log(
    `${name.padEnd(17)}| ${ms.flight.toFixed(0).padStart(9)} | ${ratio(ms.flight)} | ${ms.adbc.toFixed(0).padStart(7)} | ${ratio(ms.adbc)} | ${ms.duckdb.toFixed(0).padStart(9)} | ${String(got.flight).padStart(8)}`,
  );
}

const dataRoot = await mkdtemp(join(tmpdir(), "query-bench-"));
try {
  let t0 = performance.now();
  await python3("generate", dataRoot, String(rows));
  console.log(`generated ${rows} rows in ${Math.round(performance.now() - t0)} ms (10 Delta data files)`);
  const tableDir = join(dataRoot, "bench", "events");
  const files = (await readdir(tableDir)).filter((f) => f.endsWith(".parquet")).map((f) => join(tableDir, f));
  const parquet = `read_parquet([${files.map((f) => `'${f}'`).join(", ")}])`;
  const mid = Math.floor(rows / 2);
  const cases = [
    { name: "aggregate", sql: "SELECT label, count(*) AS n, sum(x) AS sx, avg(id) AS aid FROM {t} GROUP BY label" },
    { name: "selective filter", sql: `SELECT * FROM {t} WHERE id BETWEEN ${mid} AND ${mid + 1000}` },
    { name: "1M-row transfer", sql: "SELECT id, x, label, ts FROM {t} WHERE id < 1000000" },
  ].map((c) => ({
    name: c.name,
    ours: c.sql.replaceAll("{t}", '"bench"."events"'),
    anchor: c.sql.replaceAll("{t}", parquet),
  }));
  const casesFile = join(dataRoot, "cases.json");
  await writeFile(casesFile, JSON.stringify(cases));

  const engine = createQueryEngine({ catalog: createDeltaCatalog({ dataRoot }), config: { timeoutMs: 600_000 } });
  const server = await startFlightServer({
    catalog: createDeltaDatasetCatalog(dataRoot),
    queryEngine: engine,
    port: 0,
  });
  console.log(`\nmedians of ${runs} runs, ms; ratio = ours / DuckDB-Python (target <= 1.3)`);
  console.log("case             | pyarrow.flight  ratio | ADBC    ratio | DuckDB-Py | rows");
  console.log("-----------------|-----------|-------|---------|-------|-----------|---------");
  try {
    await python3("run", server.url, casesFile, String(runs));
  } finally {
    await server.close();
  }

  // Where the transfer time goes: the engine alone (no transport; batches left to the garbage collector, as an
  // in-process consumer does, where a DoGet recycles them).
  const transfer = cases[2];
  const engineTimes = [];
  let opened = "";
  for (let i = 0; i <= runs; i++) {
    t0 = performance.now();
    const result = await engine.query(transfer.ours);
    for await (const _ of result);
    if (i > 0) engineTimes.push(performance.now() - t0);
    opened = `${result.scans[0]?.filesOpened}/${result.scans[0]?.filesTotal}`;
  }
  await engine.close();
  console.log(`\n1M-row transfer, split (medians):`);
  console.log(
    `  engine in Node, Arrow batches, no transport: ${median(engineTimes).toFixed(0)} ms (files opened ${opened})`,
  );
} finally {
  await rm(dataRoot, { recursive: true, force: true });
}
