import { readFileSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTempDir, runFusion, runPython, type TempDir } from "@mlfusion/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

describe("fusion delta", () => {
  let dir: TempDir;
  let table: string;
  beforeAll(async () => {
    dir = await createTempDir("cli-delta-");
    table = join(dir.path, "sales");
    await writeFile(
      join(dir.path, "v0.csv"),
      "id,region,amount,day\n1,eu,10.5,2024-01-01\n2,us,20,2024-01-02\n3,eu,,2024-01-03\n",
    );
    await writeFile(join(dir.path, "v1.csv"), "id,region,amount,day\n4,apac,40,2024-02-01\n");
    await writeFile(join(dir.path, "bad.csv"), "id,other\n5,x\n");
  });
  afterAll(async () => {
    await dir.close();
  });

  it("writes a partitioned table from CSV, appends, and shows it", async () => {
    const first = await runFusion([
      "delta",
      "write",
      table,
      "--input",
      join(dir.path, "v0.csv"),
      "--partition-by",
      "region",
    ]);
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(/Committed version 0: 3 rows in 2 files/);
    const second = await runFusion(["delta", "write", table, "--input", join(dir.path, "v1.csv")]);
    expect(second.stdout).toMatch(/Committed version 1: 1 rows in 1 files/);

    const show = await runFusion(["delta", "show", table]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/version:\s+1/);
    expect(show.stdout).toMatch(/partitions:\s+region/);
    expect(show.stdout).toMatch(/files:\s+3/);
    expect(show.stdout).toMatch(/rows:\s+4\n/);
    expect(show.stdout).toMatch(/amount: Float64/);

    const history = await runFusion(["delta", "history", table]);
    const lines = history.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^1\t\S+Z\tWRITE/);
    expect(lines[1]).toMatch(/^0\t/);

    // Another engine reads what the CLI wrote.
    const { stdout } = await runPython(
      "import sys, deltalake; t = deltalake.DeltaTable(sys.argv[1]); print(t.version(), t.to_pyarrow_table().num_rows)",
      [table],
    );
    expect(stdout.trim()).toBe("1 4");
  });

  it("reads with columns, a filter and time travel into every output format", async () => {
    const csv = join(dir.path, "out.csv");
    const read = await runFusion([
      "delta",
      "read",
      table,
      "--columns",
      "id,region",
      "--filter",
      "region = 'eu' AND id > 1",
      "--output",
      csv,
    ]);
    expect(read.code).toBe(0);
    expect(readFileSync(csv, "utf8")).toBe("id,region\n3,eu\n");

    const jsonl = join(dir.path, "v0.jsonl");
    await runFusion(["delta", "read", table, "--version", "0", "--output", jsonl]);
    const rows = readFileSync(jsonl, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.id).sort()).toEqual([1, 2, 3]);

    for (const name of ["out.parquet", "out.arrow"]) {
      const path = join(dir.path, name);
      const result = await runFusion(["delta", "read", table, "--output", path]);
      expect(result.code).toBe(0);
      const { stdout } = await runPython(
        [
          "import sys, pyarrow.parquet as pq, pyarrow.ipc as ipc",
          "p = sys.argv[1]",
          "t = pq.read_table(p) if p.endswith('.parquet') else ipc.open_file(p).read_all()",
          "print(t.num_rows, sorted(t.column('id').to_pylist()))",
        ].join("\n"),
        [path],
      );
      expect(stdout.trim()).toBe("4 [1, 2, 3, 4]");
    }

    const terminal = await runFusion(["delta", "read", table, "--output", "-"]);
    expect(terminal.stdout).toMatch(/│ id +│/);
    expect(terminal.stdout).toMatch(/4 rows \(version 1/);
  });

  it("fails with one clear line and writes nothing on bad input", async () => {
    const before = await readdir(join(table, "_delta_log"));
    const mismatch = await runFusion(["delta", "write", table, "--input", join(dir.path, "bad.csv")]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr.trim().split("\n")).toHaveLength(1);
    expect(mismatch.stderr).toMatch(/other/);
    expect(await readdir(join(table, "_delta_log"))).toEqual(before);

    const badFilter = await runFusion(["delta", "read", table, "--filter", "id >", "--output", "-"]);
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr).toMatch(/^error: /);

    const notTable = await runFusion(["delta", "show", dir.path]);
    expect(notTable.code).toBe(3);
    expect(notTable.stderr).toMatch(/not a Delta table/);

    const badOutput = await runFusion(["delta", "read", table, "--output", join(dir.path, "x.xlsx")]);
    expect(badOutput.code).toBe(2);
    expect(badOutput.stderr).toMatch(/must end in \.parquet, \.arrow, \.csv or \.jsonl/);

    const futureVersion = await runFusion(["delta", "read", table, "--version", "99", "--output", "-"]);
    expect(futureVersion.code).toBe(3);
  });

  it("vacuum lists nothing to delete on a fresh table and honours --dry-run", async () => {
    const result = await runFusion(["delta", "vacuum", table, "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Would delete 0 files/);
  });
});
