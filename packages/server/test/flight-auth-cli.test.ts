// `fusion start flight` (the built binary) refuses to serve datasets without a token on an interface other
// machines can reach, unless told --insecure-no-auth.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createTempDir, fusionBin, isolatedEnv, runFusion, type TempDir } from "@mlfusion/testing";
import { afterAll, beforeAll, expect, test } from "vitest";

let dir: TempDir;
let repo: string;
let env: Record<string, string>;

beforeAll(async () => {
  expect(existsSync(fusionBin), "run `npm run build` first").toBe(true);
  dir = await createTempDir("flight-auth-cli-");
  repo = join(dir.path, "project");
  await mkdir(join(repo, ".mlfusion", "data"), { recursive: true });
  execFileSync("git", ["init", "-q"], { cwd: repo });
  writeFileSync(join(repo, ".mlfusion", "config.json"), JSON.stringify({ storage: { dataRoot: "data" } }));
  env = { HOME: join(dir.path, "home"), FF_LOG_LEVEL: "warn" };
});
afterAll(async () => {
  await dir.close();
});

test("refuses a non-loopback host without a token, naming --token and FF_TOKEN", async () => {
  for (const host of ["0.0.0.0", "::"]) {
    const result = await runFusion(["start", "flight", "--host", host, "--port", "0"], {
      cwd: repo,
      env,
      timeoutMs: 30_000,
    });
    expect(result.code, JSON.stringify(result)).not.toBe(0);
    expect(result.stderr).toContain(`Refusing to listen on ${host} without a token`);
    expect(result.stderr).toContain("--token (or set FF_TOKEN)");
  }
  const viaEnv = await runFusion(["start", "flight", "--port", "0"], {
    cwd: repo,
    env: { ...env, FF_HOST: "0.0.0.0" },
  });
  expect(viaEnv.code, JSON.stringify(viaEnv)).not.toBe(0);
  expect(viaEnv.stderr).toContain("--insecure-no-auth");
});

test("starts on a non-loopback host with --insecure-no-auth", async () => {
  const server = spawn(
    process.execPath,
    [fusionBin, "start", "flight", "--host", "0.0.0.0", "--port", "0", "--insecure-no-auth"],
    { cwd: repo, env: { ...isolatedEnv(), ...env }, stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise((resolve) => server.once("exit", resolve));
  try {
    let url = "";
    for await (const line of createInterface({ input: server.stdout })) {
      url = line;
      break;
    }
    expect(url).toMatch(/^grpc:\/\/0\.0\.0\.0:\d+$/);
  } finally {
    server.kill("SIGTERM");
    await exited;
  }
});
