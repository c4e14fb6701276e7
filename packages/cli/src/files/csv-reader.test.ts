import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArgumentError } from "@mlfusion/core";
import { createTempDir, type TempDir } from "@mlfusion/testing";
import type { RecordBatch } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readCsvFile } from "./csv-reader.js";
import { writeCsvFile, writeJsonLinesFile } from "./table-writer.js";

async function collect(it: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe("CSV files", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await createTempDir("csv-");
  });
  afterEach(async () => {
    await dir.close();
  });

  it("infers integer, float, boolean, date, timestamp and string columns with nulls", async () => {
    const path = join(dir.path, "in.csv");
    await writeFile(
      path,
      'id,amount,ok,day,at,name\n1,1.5,true,2024-01-02,2024-01-02T03:04:05Z,"a, b"\n2,,false,,,\n3,-2e3,TRUE,2024-12-31,2024-12-31T23:59:59.123456Z,c\n',
    );
    const batches = await collect(readCsvFile(path));
    expect(batches).toHaveLength(1);
    const batch = batches[0];
    expect(batch?.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
      "id:Int64",
      "amount:Float64",
      "ok:Bool",
      "day:Date32<DAY>",
      "at:Timestamp<MICROSECOND, UTC>",
      "name:Utf8",
    ]);
    expect(batch?.getChild("id")?.toArray()).toEqual(BigInt64Array.from([1n, 2n, 3n]));
    expect(batch?.getChild("amount")?.get(1)).toBeNull();
    expect(batch?.getChild("name")?.get(0)).toBe("a, b");

    const out = join(dir.path, "out.csv");
    expect(await writeCsvFile(out, batch?.schema ?? (null as never), readCsvFile(path))).toBe(3);
    expect(readFileSync(out, "utf8")).toBe(
      'id,amount,ok,day,at,name\n1,1.5,true,2024-01-02,2024-01-02T03:04:05.000Z,"a, b"\n2,,false,,,\n3,-2000,true,2024-12-31,2024-12-31T23:59:59.123456Z,c\n',
    );
    const jsonl = join(dir.path, "out.jsonl");
    await writeJsonLinesFile(jsonl, readCsvFile(path));
    expect(readFileSync(jsonl, "utf8").split("\n")[0]).toBe(
      '{"id":1,"amount":1.5,"ok":true,"day":"2024-01-02","at":"2024-01-02T03:04:05.000Z","name":"a, b"}',
    );
  });

  it("fails with the line number when a later value does not fit the inferred type", async () => {
    const path = join(dir.path, "bad.csv");
    const rows = Array.from({ length: 10_050 }, (_, i) => (i === 10_020 ? "x" : String(i)));
    await writeFile(path, `n\n${rows.join("\n")}\n`);
    const error = await collect(readCsvFile(path)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(String((error as Error).message)).toMatch(/line 10022: column "n" holds "x"/);
  });

  it("refuses an empty file and duplicate header names", async () => {
    const empty = join(dir.path, "empty.csv");
    await writeFile(empty, "");
    await expect(collect(readCsvFile(empty))).rejects.toThrow(/empty; a CSV file needs a header row/);
    const dup = join(dir.path, "dup.csv");
    await writeFile(dup, "a,a\n1,2\n");
    await expect(collect(readCsvFile(dup))).rejects.toThrow(/duplicate column names/);
  });
});
