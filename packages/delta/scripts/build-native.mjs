// Builds packages/delta/build/parquet_native.node, the native Parquet decoder (arrow-rs's reader behind Node-API;
// docs/adr/0006-native-parquet-decoding.md). Part of `npm run build`. Needs Rust's cargo (CARGO, else cargo on the
// PATH); the crates come from crates.io at the versions in native/Cargo.lock. When the addon cannot be built the
// build still succeeds and says why: local tables are then decoded by parquet-wasm (slower), and the delta test
// that checks for the addon fails.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const crate = join(packageRoot, "native");
const targetDir = join(crate, "target");
const output = join(packageRoot, "build", "parquet_native.node");
const library = join(
  targetDir,
  "release",
  process.platform === "darwin" ? "libmlfusion_parquet.dylib" : "libmlfusion_parquet.so",
);

const skip = (why) => {
  // A stale addon must not stay behind a failed build: the TypeScript side would load it.
  rmSync(output, { force: true });
  console.warn(
    `NOTE: the native Parquet decoder is not built (${why}); Delta tables are decoded by parquet-wasm (slower). ` +
      "Install Rust (https://rustup.rs, or set CARGO), then run `npm run build`.",
  );
  process.exit(0);
};

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};

// biome-ignore lint/style/noProcessEnv: a build script; CARGO is cargo's own way to name itself.
const cargo = process.env.CARGO ?? "cargo";
const started = performance.now();
const args = [
  "build",
  "--release",
  "--locked",
  "--manifest-path",
  join(crate, "Cargo.toml"),
  "--target-dir",
  targetDir,
];
const run = spawnSync(cargo, args, { stdio: "inherit" });
if (run.error !== undefined || run.status !== 0) {
  skip(
    run.error?.code === "ENOENT"
      ? `no Rust toolchain: ${cargo} was not found`
      : `${cargo} build failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`})`,
  );
}
if (mtime(library) < 0)
  skip(`${cargo} built no ${library} (is a build target set in CARGO_BUILD_TARGET or .cargo/config?)`);
if (mtime(output) >= mtime(library)) process.exit(0);
mkdirSync(dirname(output), { recursive: true });
const temporary = `${output}.${process.pid}.tmp`;
copyFileSync(library, temporary);
renameSync(temporary, output);
console.log(`built ${output} in ${Math.round(performance.now() - started)} ms`);
