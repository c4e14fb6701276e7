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
 * Runs the script given as argv[1] with the rest as its argv, then leaves with `os._exit`: deltalake's runtime
 * threads sometimes abort the interpreter at shutdown ("terminate called without an active exception", exit 134)
 * after the script has done everything right. Exit code as Python's own: 1 with a traceback for an exception,
 * SystemExit's code for sys.exit(). The script's globals are cleared and collected first, so unclosed files are
 * flushed as at a normal exit.
 */
const RUNNER = `
import gc, os, sys, traceback
source = sys.argv[1]
sys.argv = [sys.argv[0]] + sys.argv[2:]
scope = {"__name__": "__main__"}
code = 0
try:
    exec(compile(source, "<script>", "exec"), scope)
except SystemExit as stop:
    if isinstance(stop.code, int) or stop.code is None:
        code = stop.code or 0
    else:
        print(stop.code, file=sys.stderr)
        code = 1
except BaseException:
    traceback.print_exc()
    code = 1
scope.clear()
gc.collect()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
`;

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
      ["-c", RUNNER, source, ...args],
      { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const how = error.killed ? `killed (${error.signal ?? "timeout"})` : `exit ${error.code}`;
          reject(new Error(`Python failed (${how}):\n${stderr}\n--- script ---\n${source}`));
          return;
        }
        resolvePromise({ stdout, stderr });
      },
    );
  });
}
