// Builds packages/query/build/duckdb_arrow.node, the native conversion of DuckDB results into Arrow buffers
// (docs/adr/0005-native-result-conversion.md). Part of `npm run build`. Needs a C++17 compiler (CXX, else c++;
// CXX may carry arguments, e.g. "ccache g++"); Node-API headers come from the node-api-headers package. When the
// addon cannot be built the build still succeeds and says why: query results are then converted in JavaScript
// (slower), and the query test that checks for the addon fails.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(packageRoot, "native", "duckdb_arrow.cc");
const output = join(packageRoot, "build", "duckdb_arrow.node");
const stampPath = `${output}.stamp`;

const skip = (why) => {
  // A stale addon must not stay behind a failed build: the TypeScript side would load it.
  rmSync(output, { force: true });
  rmSync(stampPath, { force: true });
  console.warn(
    `NOTE: the native DuckDB-to-Arrow conversion is not built (${why}); query results are converted in ` +
      "JavaScript (slower). Install a C++17 compiler (g++ or clang++, or set CXX), then run `npm run build`.",
  );
  process.exit(0);
};

let headers;
try {
  headers = join(dirname(createRequire(import.meta.url).resolve("node-api-headers/package.json")), "include");
} catch {
  skip("the node-api-headers package is not installed");
}

// biome-ignore lint/style/noProcessEnv: a build script; CXX is the usual way to choose the compiler.
const [compiler, ...compilerArgs] = (process.env.CXX ?? "c++").trim().split(/\s+/);
const args = [...compilerArgs, "-O2", "-std=c++17", "-shared", "-fPIC", "-fvisibility=hidden", "-pthread"];
args.push("-Wall", "-Wextra");
args.push(`-I${headers}`);
if (process.platform === "darwin") args.push("-undefined", "dynamic_lookup");
const stamp = JSON.stringify({ compiler, args, node: process.versions.node });

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};
const readStamp = () => {
  try {
    return readFileSync(stampPath, "utf8");
  } catch {
    return "";
  }
};
const upToDate =
  readStamp() === stamp && mtime(output) > Math.max(mtime(source), mtime(fileURLToPath(import.meta.url)));
if (upToDate) process.exit(0);

mkdirSync(dirname(output), { recursive: true });
const temporary = `${output}.${process.pid}.tmp`;
const linkArgs = process.platform === "linux" ? ["-ldl"] : [];
const started = performance.now();
const run = spawnSync(compiler, [...args, source, "-o", temporary, ...linkArgs], { stdio: "inherit" });
if (run.error !== undefined || run.status !== 0) {
  rmSync(temporary, { force: true });
  skip(
    run.error?.code === "ENOENT"
      ? `no C++ compiler: ${compiler} was not found`
      : `${compiler} failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`})`,
  );
}
renameSync(temporary, output);
writeFileSync(stampPath, stamp);
console.log(`built ${output} in ${Math.round(performance.now() - started)} ms`);
