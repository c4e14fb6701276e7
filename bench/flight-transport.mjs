// Starts our Flight server (in-memory catalog; with --delta also one on a temporary Delta data root), then runs
// bench/flight-transport.py against it and pyarrow's C++ in-memory server in the same process tree.
// Usage: npm run build && node bench/flight-transport.mjs [--rows N] [--runs N] [--delta]
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createMemoryDatasetCatalog, startFlightServer } from "@mlfusion/server";

const here = dirname(fileURLToPath(import.meta.url));
const python = process.env.FUSION_PYTHON ?? join(here, "..", ".venv", "bin", "python");
const args = process.argv.slice(2);
const withDelta = args.includes("--delta");
const pass = args.filter((a) => a !== "--delta");

const memory = await startFlightServer({ catalog: createMemoryDatasetCatalog(), port: 0 });
const servers = [memory];
const urls = ["--ours", memory.url];
let dataRoot;
if (withDelta) {
  const { createDeltaDatasetCatalog } = await import("@mlfusion/server");
  dataRoot = await mkdtemp(join(tmpdir(), "flight-bench-"));
  const delta = await startFlightServer({ catalog: createDeltaDatasetCatalog(dataRoot), port: 0 });
  servers.push(delta);
  urls.push("--delta", delta.url);
}
try {
  const code = await new Promise((resolve) => {
    const child = spawn(python, [join(here, "flight-transport.py"), ...urls, ...pass], { stdio: "inherit" });
    child.on("exit", resolve);
  });
  process.exitCode = code ?? 1;
} finally {
  for (const server of servers) await server.close();
  if (dataRoot !== undefined) await rm(dataRoot, { recursive: true, force: true });
}
