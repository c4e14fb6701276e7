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
        env: { ...isolatedEnv(), NO_COLOR: "1", ...options.env },
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

/**
 * The environment for a child `fusion` process: this process's, without any `FF_*` setting, so a developer's own
 * `FF_DATA_ROOT` or `FF_PORT` can never point a test at real data. Tests pass the settings they want explicitly.
 */
export function isolatedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("FF_")) env[key] = value;
  }
  return env;
}
