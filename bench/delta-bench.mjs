// Delta benchmark: @mlfusion/delta against delta-rs (`deltalake`: write_deltalake, DeltaTable.to_pyarrow_table)
// and pyarrow.parquet on the same data (int64, float64, utf8 with 1% nulls, timestamp[us, UTC]), in one run.
// Every measurement runs in its own process, so each peak RSS is that operation's own. Within it, the operation
// runs once cold and then --repeat times (both sides); the reported seconds are the median of the repeats, as a
// long-running server sees them (parquet-wasm's code starts unoptimised and tiers up during the first run); the
// cold run is printed too. Not part of CI.
// Usage: npm run build && [DELTA_BENCH_PARALLEL=0|1] node bench/delta-bench.mjs [--rows 10000000] [--repeat 3]
//        [--stream-gb 2] [--skip-stream]
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLocalObjectStore, loadSnapshot, writeDeltaTable } from "@mlfusion/delta";
import { RecordBatchReader, Table, TimestampMicrosecond, tableFromArrays, Utf8, vectorFromArray } from "apache-arrow";

const here = dirname(fileURLToPath(import.meta.url));
const python = process.env.FUSION_PYTHON ?? join(here, "..", ".venv", "bin", "python");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};

if (args[0] === "--child") {
  console.log(
    JSON.stringify(await child(args[1], option("--input"), option("--table"), Number(option("--cutoff", 0)))),
  );
} else {
  await main();
}

/** One measured operation of ours, in this (child) process. */
async function child(op, input, table, cutoff) {
  const store = createLocalObjectStore(table);
  let seconds;
  let extra = {};
  // Like the Python side: one cold run, then `--repeat` runs whose median is reported (the stream append runs once).
  const repeat = Number(option("--repeat", 3));
  const warm = async (once) => {
    const cold = await once();
    const runs = [];
    for (let i = 0; i < repeat; i++) runs.push(await once());
    runs.sort((a, b) => a - b);
    return { seconds: runs.length > 0 ? runs[Math.floor(runs.length / 2)] : cold, coldSeconds: cold };
  };
  if (op === "ours-write") {
    const batches = [];
    for await (const batch of await RecordBatchReader.from(createReadStream(input))) batches.push(batch);
    const data = new Table(batches);
    let files = 0;
    const timed = await warm(async () => {
      const start = performance.now();
      const result = await writeDeltaTable(store, data, { mode: "overwrite" });
      files = result.numFiles;
      return (performance.now() - start) / 1000;
    });
    seconds = timed.seconds;
    extra = { files, coldSeconds: timed.coldSeconds };
  } else if (op === "ours-stream") {
    // A streamed append of ~N GB in ~2 MB batches, cycled from a small pool so that generating the input costs
    // nothing: the writer still encodes every batch, and the input is never held.
    const targetBytes = Number(option("--gb", 2)) * 1024 ** 3;
    const rows = 50_000;
    const pool = Array.from({ length: 8 }, (_, b) => {
      const ids = Array.from({ length: rows }, (_, i) => b * rows + i);
      return tableFromArrays({
        id: BigInt64Array.from(ids, BigInt),
        x: Float64Array.from(ids, Math.random),
        s: vectorFromArray(
          ids.map((i) => (i % 100 === 0 ? null : `value-${i % 100_000}`)),
          new Utf8(),
        ),
        ts: vectorFromArray(
          ids.map((i) => 1_700_000_000_000 + i),
          new TimestampMicrosecond("UTC"),
        ),
      }).batches[0];
    });
    let produced = 0;
    async function* generate() {
      for (let b = 0; produced < targetBytes; b++) {
        const batch = pool[b % pool.length];
        produced += batch.data.byteLength;
        yield batch;
      }
    }
    const start = performance.now();
    const result = await writeDeltaTable(store, generate(), { mode: "append" });
    seconds = (performance.now() - start) / 1000;
    extra = { files: result.numFiles, gigabytes: produced / 1024 ** 3 };
  } else {
    let rows = 0;
    const timed = await warm(async () => {
      const start = performance.now();
      rows = await readRows(store, op === "ours-filtered" ? cutoff : undefined);
      return (performance.now() - start) / 1000;
    });
    if (rows <= 0) throw new Error(`${op} read no rows`);
    seconds = timed.seconds;
    extra = { rows, coldSeconds: timed.coldSeconds };
  }
  return { seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, ...extra };
}

/** Reads every row (or the rows with id < cutoff, skipping files by stats) through the public read API. */
async function readRows(store, cutoff) {
  const delta = await import("@mlfusion/delta");
  if (typeof delta.DeltaTable?.open === "function") {
    const table = await delta.DeltaTable.open(store);
    let rows = 0;
    const options = cutoff === undefined ? {} : { filter: `id < ${cutoff}` };
    // ScanOptions.parallel is "auto" by default (worker threads for scans of a million rows or more);
    // DELTA_BENCH_PARALLEL=0 forces decoding in this thread, =1 forces workers.
    if (process.env.DELTA_BENCH_PARALLEL === "0") options.parallel = false;
    if (process.env.DELTA_BENCH_PARALLEL === "1") options.parallel = true;
    for await (const batch of table.scan(options)) rows += batch.numRows;
    return rows;
  }
  // Until the scan API lands: snapshot + stats skipping + Parquet batches, as the scan does.
  const snapshot = await loadSnapshot(store);
  const predicate =
    cutoff === undefined
      ? undefined
      : delta.resolveExpression(delta.parseExpression(`id < ${cutoff}`), snapshot.schema);
  let rows = 0;
  for (const file of snapshot.files) {
    if (predicate !== undefined) {
      const stats = JSON.parse(file.stats ?? "{}");
      const lookup = (path) => {
        const name = path[0];
        const min = stats.minValues?.[name];
        const max = stats.maxValues?.[name];
        return min === undefined
          ? undefined
          : { min: BigInt(min), max: BigInt(max), nullCount: stats.nullCount?.[name] };
      };
      if (!delta.mayMatch(predicate, lookup)) continue;
    }
    for await (const batch of delta.readParquetBatches(store, delta.decodeActionPath(file.path))) {
      if (predicate === undefined) rows += batch.numRows;
      else rows += delta.evaluateOnBatch(predicate, batch).reduce((n, m) => n + m, 0);
    }
  }
  return rows;
}

function run(command, commandArgs) {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, commandArgs, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.on("data", (chunk) => {
      out += chunk;
    });
    proc.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${commandArgs.join(" ")} exited ${code}`)),
    );
  });
}

async function main() {
  const rows = Number(option("--rows", 10_000_000));
  const cutoff = Math.floor(rows / 10);
  const work = await mkdtemp(join(tmpdir(), "delta-bench-"));
  const input = join(work, "input.arrows");
  const py = (op, table) =>
    run(python, [
      join(here, "delta-bench.py"),
      op,
      "--input",
      input,
      "--table",
      table,
      "--cutoff",
      String(cutoff),
      "--repeat",
      option("--repeat", "3"),
    ]).then(JSON.parse);
  const ours = (op, table, extra = []) =>
    run(process.execPath, [
      fileURLToPath(import.meta.url),
      "--child",
      op,
      "--input",
      input,
      "--table",
      table,
      "--cutoff",
      String(cutoff),
      "--repeat",
      option("--repeat", "3"),
      ...extra,
    ]).then(JSON.parse);
  try {
    console.log(`generating ${rows.toLocaleString()} rows ...`);
    await run(python, [join(here, "delta-bench.py"), "generate", "--rows", String(rows), "--input", input]);
    const results = {};
    results["delta-rs write"] = await py("deltars-write", join(work, "deltars"));
    results["pyarrow write"] = await py("pyarrow-write", join(work, "pyarrow"));
    results["ours write"] = await ours("ours-write", join(work, "ours"));
    results["delta-rs read (its table)"] = await py("deltars-read", join(work, "deltars"));
    results["delta-rs read (our table)"] = await py("deltars-read", join(work, "ours"));
    results["pyarrow read"] = await py("pyarrow-read", join(work, "pyarrow"));
    results["ours read (our table)"] = await ours("ours-read", join(work, "ours"));
    results["ours read (delta-rs table)"] = await ours("ours-read", join(work, "deltars"));
    results[`delta-rs filtered id<${cutoff} (our table)`] = await py("deltars-filtered", join(work, "ours"));
    results[`pyarrow filtered id<${cutoff}`] = await py("pyarrow-filtered", join(work, "pyarrow"));
    results[`ours filtered id<${cutoff} (our table)`] = await ours("ours-filtered", join(work, "ours"));
    if (!args.includes("--skip-stream")) {
      results["ours streamed append"] = await ours("ours-stream", join(work, "stream"), [
        "--gb",
        option("--stream-gb", "2"),
      ]);
    }
    console.log("\noperation                                  seconds  peak RSS MB  notes");
    for (const [name, r] of Object.entries(results)) {
      const notes = Object.entries(r)
        .filter(([k]) => k !== "seconds" && k !== "peakRssMb")
        .map(([k, v]) => `${k}=${typeof v === "number" ? Number(v.toFixed(2)) : v}`)
        .join(" ");
      console.log(
        `${name.padEnd(42)} ${r.seconds.toFixed(2).padStart(7)}  ${r.peakRssMb.toFixed(0).padStart(11)}  ${notes}`,
      );
    }
    // Warm: medians of the repeats; in parentheses the cold first run of each process.
    const ratio = (a, b) =>
      `${(results[b].seconds / results[a].seconds).toFixed(2)} (cold ${(results[b].coldSeconds / results[a].coldSeconds).toFixed(2)})`;
    console.log("\nthroughput ratios, warm (cold) (ours / anchor; >= 1 is as fast or faster):");
    console.log(`  write vs delta-rs:         ${ratio("ours write", "delta-rs write")}x  (target >= 0.5)`);
    console.log(`  write vs pyarrow:          ${ratio("ours write", "pyarrow write")}x`);
    console.log(
      `  full read vs delta-rs:     ${ratio("ours read (our table)", "delta-rs read (our table)")}x  (target >= 0.8, same table)`,
    );
    console.log(`  full read vs pyarrow:      ${ratio("ours read (our table)", "pyarrow read")}x`);
    console.log(
      `  filtered read vs delta-rs: ${ratio(`ours filtered id<${cutoff} (our table)`, `delta-rs filtered id<${cutoff} (our table)`)}x`,
    );
    const stream = results["ours streamed append"];
    if (stream !== undefined) {
      console.log(
        `  streamed ${stream.gigabytes.toFixed(2)} GB append peak RSS: ${stream.peakRssMb.toFixed(0)} MB (target < 1024)`,
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
