import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./python.js";

/** The built `fusion` binary (npm run build produces it). */
export const fusionBin: string = join(repoRoot, "packages", "cli", "dist", "bin.js");

/** Result of one `fusion` invocation. */
export interface FusionCliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `fusion` CLI as a user would, in `cwd` with extra environment variables.
 *
 * @example
 * const { code, stdout } = await runFusion(["env", "init"], { cwd: repo });
 */
export function runFusion(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<FusionCliResult> {
  if (!existsSync(fusionBin)) {
    throw new Error(`${fusionBin} is missing; run \`npm run build\` before the CLI tests.`);
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [fusionBin, ...args],
      {
        cwd: options.cwd ?? repoRoot,
        env: { ...process.env, NO_COLOR: "1", ...options.env },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
