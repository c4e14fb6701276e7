import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTempDir, runFusion, type TempDir } from "@mlfusion/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

describe("fusion env", () => {
  let dir: TempDir;
  let home: string;
  beforeEach(async () => {
    dir = await createTempDir("cli-env-");
    home = join(dir.path, "home");
    await mkdir(home);
  });
  afterEach(async () => {
    await dir.close();
  });

  it("creates the workspace at the git repository's root, from a subfolder", async () => {
    const repo = join(dir.path, "project");
    await mkdir(join(repo, "src", "deep"), { recursive: true });
    execFileSync("git", ["init", "-q"], { cwd: repo });
    const result = await runFusion(["env", "init"], { cwd: join(repo, "src", "deep"), env: { HOME: home } });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(join(repo, ".mlfusion"));
    expect(JSON.parse(readFileSync(join(repo, ".mlfusion", "config.json"), "utf8")).server.port).toBe(50051);
    expect(readFileSync(join(repo, ".mlfusion", ".gitignore"), "utf8")).toContain("data/");
    const again = await runFusion(["env", "init"], { cwd: repo, env: { HOME: home } });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already exists");
  });

  it("explains what to do outside a git repository, and --global works there", async () => {
    const plain = join(dir.path, "plain");
    await mkdir(plain);
    const refused = await runFusion(["env", "init"], { cwd: plain, env: { HOME: home } });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toMatch(
      /not inside a git repository; run `git init` first, or use `fusion env init --global`/,
    );
    const global = await runFusion(["env", "init", "--global"], { cwd: plain, env: { HOME: home } });
    expect(global.code).toBe(0);
    expect(existsSync(join(home, ".mlfusion", "config.json"))).toBe(true);
  });

  it("applies the query engine settings of config.json and refuses invalid ones in one line", async () => {
    const repo = join(dir.path, "project");
    await mkdir(repo, { recursive: true });
    execFileSync("git", ["init", "-q"], { cwd: repo });
    expect((await runFusion(["env", "init"], { cwd: repo, env: { HOME: home } })).code).toBe(0);
    const configFile = join(repo, ".mlfusion", "config.json");
    const config = JSON.parse(readFileSync(configFile, "utf8"));
    const spill = join(dir.path, "spill");
    await writeFile(
      configFile,
      JSON.stringify({ ...config, query: { memoryLimit: "256MB", threads: 1, tempDirectory: spill } }),
    );
    const sql = "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t";
    const ok = await runFusion(["query", sql, "--output", "-"], { cwd: repo, env: { HOME: home } });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toContain("244.1 MiB");
    expect(existsSync(spill)).toBe(true);
    await writeFile(configFile, JSON.stringify({ ...config, query: { tempDirectory: "relative/spill" } }));
    const bad = await runFusion(["query", "SELECT 1"], { cwd: repo, env: { HOME: home } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("query.tempDirectory");
  });

  it("clear refuses without --yes, deletes only datasets, and keeps the configuration", async () => {
    await runFusion(["env", "init", "--global"], { cwd: dir.path, env: { HOME: home } });
    const data = join(home, ".mlfusion", "data");
    await mkdir(join(data, "demo", "sales", "_delta_log"), { recursive: true });
    await writeFile(join(data, "demo", "sales", "_delta_log", "00000000000000000000.json"), "{}\n");
    await writeFile(join(data, "notes.txt"), "not a dataset");
    const refused = await runFusion(["env", "clear"], { cwd: dir.path, env: { HOME: home } });
    expect(refused.code).toBe(2);
    expect(existsSync(join(data, "demo", "sales"))).toBe(true);
    const cleared = await runFusion(["env", "clear", "--yes"], { cwd: dir.path, env: { HOME: home } });
    expect(cleared.code).toBe(0);
    expect(cleared.stdout).toContain("Deleted 1 datasets");
    expect(existsSync(join(data, "demo"))).toBe(false);
    expect(existsSync(join(data, "notes.txt"))).toBe(true);
    expect(existsSync(join(home, ".mlfusion", "config.json"))).toBe(true);
  });

  it("clear refuses a data root that is the workspace or one of its parents", async () => {
    await runFusion(["env", "init", "--global"], { cwd: dir.path, env: { HOME: home } });
    for (const root of [".", "..", "/"]) {
      const result = await runFusion(["env", "clear", "--yes"], {
        cwd: dir.path,
        env: { HOME: home, FF_DATA_ROOT: root },
      });
      expect(result.code, root).toBe(2);
      expect(result.stderr).toMatch(/Refusing to clear/);
    }
    expect(existsSync(join(home, ".mlfusion", "config.json"))).toBe(true);
  });
});
