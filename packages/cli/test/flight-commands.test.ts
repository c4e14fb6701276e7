// `fusion start flight` and `fusion datasets ...` run through the built `fusion` binary, as a user runs them: a
// real server process on a free port, the datasets commands against it, files in and out.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createTempDir, fusionBin, isolatedEnv, runFusion, runPython, type TempDir } from "@mlfusion/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

function fusion(args: string[], cwd: string, env: Record<string, string>) {
  return runFusion(args, { cwd, env });
}

let dir: TempDir;
let repo: string;
let env: Record<string, string>;
let server: ReturnType<typeof spawn>;
let url = "";

beforeAll(async () => {
  expect(existsSync(fusionBin), "run `npm run build` first").toBe(true);
  dir = await createTempDir("cli-flight-");
  repo = join(dir.path, "project");
  await mkdir(join(repo, ".mlfusion", "data"), { recursive: true });
  execFileSync("git", ["init", "-q"], { cwd: repo });
  writeFileSync(join(repo, ".mlfusion", "config.json"), JSON.stringify({ storage: { dataRoot: "data" } }));
  env = { HOME: join(dir.path, "home"), FF_LOG_LEVEL: "warn" };
  server = spawn(process.execPath, [fusionBin, "start", "flight", "--port", "0"], {
    cwd: repo,
    env: { ...isolatedEnv(), ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: server.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    url = line;
    break;
  }
  const port = url.split(":").pop() ?? "";
  env.FF_PORT = port;
});

afterAll(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  await dir.close();
});

describe("fusion start flight", () => {
  test("prints one line with the URL when ready and serves pyarrow clients", async () => {
    expect(url).toMatch(/^grpc:\/\/127\.0\.0\.1:\d+$/);
    const { stdout } = await runPython(
      "import sys, pyarrow.flight as fl; print(len(list(fl.connect(sys.argv[1]).list_flights())))",
      [url],
    );
    expect(stdout.trim()).toBe("0");
  });
});

describe("fusion datasets", () => {
  test("put, ls, show, get, history and drop round-trip a CSV file", async () => {
    const csv = join(dir.path, "in.csv");
    writeFileSync(csv, "id,name,score\n1,a,0.5\n2,b,\n3,c,1.5\n");
    const put = await fusion(["datasets", "put", "demo/cli/scores", csv, "--mode", "overwrite"], repo, env);
    expect(put.stderr, JSON.stringify(put)).toBe("");
    expect(put.code, JSON.stringify(put)).toBe(0);
    expect(put.stdout.trim()).toBe("Wrote 3 rows to demo/cli/scores");
    await fusion(["datasets", "put", "demo/cli/scores", csv], repo, env);

    const ls = await fusion(["datasets", "ls", "demo/"], repo, env);
    expect(ls.stdout.trim().split("\n")).toEqual(["demo/cli/scores"]);

    const show = await fusion(["datasets", "show", "demo/cli/scores"], repo, env);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("rows:        6");
    expect(show.stdout).toMatch(/id: Int64/);

    const out = join(dir.path, "out.jsonl");
    const get = await fusion(["datasets", "get", "demo/cli/scores", "--output", out, "--version", "0"], repo, env);
    expect(get.stdout.trim()).toBe(`Wrote 3 rows of demo/cli/scores to ${out}`);
    expect(
      readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).id),
    ).toEqual([1, 2, 3]);

    const parquet = join(dir.path, "out.parquet");
    const filtered = await fusion(
      ["datasets", "get", "demo/cli/scores", "--output", parquet, "--columns", "id,name", "--filter", "id >= 2"],
      repo,
      env,
    );
    expect(filtered.stdout.trim()).toBe(`Wrote 4 rows of demo/cli/scores to ${parquet}`);
    const check = await runPython(
      "import sys, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1]); print(t.column_names, sorted(t['id'].to_pylist()))",
      [parquet],
    );
    expect(check.stdout.trim()).toBe("['id', 'name'] [2, 2, 3, 3]");

    // "-" prints the rows as a table, as the README's command table says.
    const shown = await fusion(["datasets", "get", "demo/cli/scores", "--output", "-", "--version", "0"], repo, env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/\bid\b/);
    expect(shown.stdout.trim().split("\n").at(-1)).toBe("3 rows of demo/cli/scores");

    const history = await fusion(["datasets", "history", "demo/cli/scores"], repo, env);
    expect(history.stdout.trim().split("\n")).toHaveLength(3);

    const drop = await fusion(["datasets", "drop", "demo/cli/scores"], repo, env);
    expect(drop.stdout.trim()).toBe("Dropped demo/cli/scores");
    const missing = await fusion(["datasets", "show", "demo/cli/scores"], repo, env);
    expect(missing.code).toBe(3);
    expect(missing.stderr.trim()).toMatch(/^error: Dataset demo\/cli\/scores does not exist/);
  });

  test("SIGTERM shuts the server down gracefully with exit code 0", async () => {
    expect(server.exitCode).toBeNull();
    const exited = new Promise<number | null>((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
