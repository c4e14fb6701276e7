import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file lives in packages/testing/src or packages/testing/dist). */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * The project-local Python interpreter with pyarrow, deltalake, duckdb and pytest installed.
 * `FUSION_PYTHON` overrides it. Throws (never skips) when it is missing: the cross-engine tests are the point.
 */
export function pythonExecutable(): string {
  const fromEnv = process.env.FUSION_PYTHON;
  const candidate = fromEnv !== undefined && fromEnv !== "" ? fromEnv : join(repoRoot, ".venv", "bin", "python");
  if (!existsSync(candidate)) {
    throw new Error(
      `Python environment not found at ${candidate}; run \`bash scripts/setup-python.sh\` (or \`npm run test:all\`).`,
    );
  }
  return candidate;
}

/** Result of a Python run. */
export interface PythonResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a Python script (source text) with arguments in the project's environment and returns its output.
 * Rejects with the script's stderr when it exits non-zero.
 *
 * @example
 * const { stdout } = await runPython("import sys, deltalake; print(deltalake.DeltaTable(sys.argv[1]).version())", [dir]);
 */
export function runPython(source: string, args: readonly string[] = [], timeoutMs = 120_000): Promise<PythonResult> {
  const python = pythonExecutable();
  return new Promise((resolvePromise, reject) => {
    execFile(
      python,
      ["-c", source, ...args],
      { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`Python failed: ${error.message}\n${stderr}`));
          return;
        }
        resolvePromise({ stdout, stderr });
      },
    );
  });
}
