// Builds packages/query/build/duckdb_arrow.node, the native conversion of DuckDB results into Arrow buffers
// (docs/adr/0005-native-result-conversion.md). Part of `npm run build`. Needs a C++17 compiler (CXX, else c++);
// Node-API headers come from the node-api-headers package. Without a compiler the build still succeeds and says
// so: results are then converted in JavaScript, which is slower, and the query tests report it.
import { spawnSync } from "node:child_process";
import { mkdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(packageRoot, "native", "duckdb_arrow.cc");
const output = join(packageRoot, "build", "duckdb_arrow.node");
const headers = join(dirname(createRequire(import.meta.url).resolve("node-api-headers/package.json")), "include");

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};
if (mtime(output) > Math.max(mtime(source), mtime(fileURLToPath(import.meta.url)))) process.exit(0);

// biome-ignore lint/style/noProcessEnv: a build script; CXX is the usual way to choose the compiler.
const compiler = process.env.CXX ?? "c++";
const args = ["-O2", "-std=c++17", "-shared", "-fPIC", "-fvisibility=hidden", "-Wall", "-Wextra", `-I${headers}`];
if (process.platform === "darwin") args.push("-undefined", "dynamic_lookup");
args.push(source, "-o", output);
if (process.platform === "linux") args.push("-ldl");
mkdirSync(dirname(output), { recursive: true });
const started = performance.now();
const run = spawnSync(compiler, args, { stdio: "inherit" });
if (run.error !== undefined && run.error.code === "ENOENT") {
  console.warn(
    `NOTE: no C++ compiler (${compiler}); the native DuckDB-to-Arrow conversion is not built and query results ` +
      "are converted in JavaScript (slower). Install g++ or set CXX, then run `npm run build`.",
  );
  process.exit(0);
}
if (run.status !== 0) {
  console.error(`building ${output} failed (${compiler} exited ${run.status ?? run.signal})`);
  process.exit(1);
}
console.log(`built ${output} in ${Math.round(performance.now() - started)} ms`);
