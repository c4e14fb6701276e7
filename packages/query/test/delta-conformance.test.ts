import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FusionError } from "@mlfusion/core";
import { createTempDir, deltaConformanceRoot, runPython, type TempDir } from "@mlfusion/testing";
import { type RecordBatch, Table, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeltaCatalog, createQueryEngine, type QueryEngine } from "../src/index.js";

/**
 * Spark-written golden tables (../shared/delta-conformance/kernel-golden): `SELECT *` through the engine must
 * return the rows Spark read (`expected/*.parquet`), as a multiset. Covers deletion vectors (file_row_number
 * anti-join), column mapping (physical names), checkpoints, decimals and schema changes.
 */
const CASES = [
  "dv-partitioned-with-checkpoint",
  "table-with-columnmapping-mode-id",
  "data-skipping-basic-stats-all-types-columnmapping-id",
  "data-skipping-basic-stats-all-types",
  "basic-decimal-table",
  "data-reader-primitives",
  "basic-with-inserts-deletes-checkpoint",
  "snapshot-repartitioned",
  "multi-part-checkpoint",
  "v2-checkpoint-json",
  "data-reader-nested-struct",
  "data-reader-array-complex-objects",
  "data-reader-array-primitives",
  "data-reader-timestamp_ntz",
  "data-reader-timestamp_ntz-name-mode",
  "data-reader-date-types-utc",
  "data-reader-escaped-chars",
  "parquet-all-types",
  "time-travel-partition-changes-b",
  "snapshot-data3",
  "log-replay-special-characters-a",
  "data-skipping-partition-and-data-column",
];

/** Refused with UNSUPPORTED_FEATURE (never wrong rows). */
const REFUSED: string[] = [];

const root = deltaConformanceRoot();
let dir: TempDir;
let engine: QueryEngine;

describe.skipIf(root === undefined)(
  "Delta conformance tables through SQL (skipped: ../shared/delta-conformance absent)",
  () => {
    beforeAll(async () => {
      dir = await createTempDir("query-conformance-");
      engine = createQueryEngine({
        catalog: createDeltaCatalog({ dataRoot: join(root ?? "", "kernel-golden") }),
        config: { timeoutMs: 60_000 },
      });
    });
    afterAll(async () => {
      await engine?.close();
      await dir?.close();
    });

    it("returns Spark's rows for golden tables with deletion vectors, column mapping and checkpoints", async () => {
      const compare: { name: string; arrow: string; expected: string }[] = [];
      const refused: string[] = [];
      for (const name of [...CASES, ...REFUSED]) {
        try {
          const result = await engine.query(`SELECT * FROM "${name}"."delta"`);
          const batches: RecordBatch[] = [];
          for await (const batch of result) batches.push(batch);
          const arrow = join(dir.path, `${name}.arrow`);
          await writeFile(arrow, tableToIPC(new Table(result.schema, batches), "file"));
          compare.push({ name, arrow, expected: join(root ?? "", "kernel-golden", name, "expected") });
        } catch (error) {
          if (!(error instanceof FusionError)) throw error;
          refused.push(`${name}: ${error.code}`);
        }
      }
      const casesFile = join(dir.path, "cases.json");
      await writeFile(casesFile, JSON.stringify(compare));
      const { stdout } = await runPython(COMPARE_SCRIPT, [casesFile]);
      const report: { name: string; ok: boolean; detail: string }[] = JSON.parse(stdout);
      expect(refused).toEqual(REFUSED.map((name) => `${name}: UNSUPPORTED_FEATURE`));
      expect(report.filter((r) => !r.ok)).toEqual([]);
    });

    it("skips deleted rows and reads only the partition asked for", async () => {
      const result = await engine.query(
        `SELECT count(*) AS n FROM "dv-partitioned-with-checkpoint"."delta" WHERE part = 3`,
      );
      let n: unknown;
      for await (const batch of result) n = batch.getChild("n")?.get(0);
      expect(typeof n).toBe("bigint");
      expect(result.scans[0]?.filesOpened).toBeLessThan(result.scans[0]?.filesTotal ?? 0);
    });
  },
);

const COMPARE_SCRIPT = `
import sys, json, glob, os, datetime, decimal
import pyarrow as pa, pyarrow.ipc as ipc, pyarrow.parquet as pq

def canon(v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return format(v.normalize(), "f") if v == v else "nan"
    if isinstance(v, float):
        return repr(round(v, 9))
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, (list, dict, tuple)):
        return json.dumps(v, default=str, sort_keys=True)
    return repr(v) if not isinstance(v, str) else v

report = []
for c in json.load(open(sys.argv[1])):
    ours = ipc.open_file(c["arrow"]).read_all()
    files = [f for f in glob.glob(os.path.join(c["expected"], "**", "*.parquet"), recursive=True)]
    theirs = pa.concat_tables([pq.read_table(f) for f in files]) if files else None
    cols = ours.column_names
    if theirs is None or sorted(cols) != sorted(theirs.column_names):
        report.append({"name": c["name"], "ok": False, "detail": f"columns {cols} vs {theirs and theirs.column_names}"})
        continue
    theirs = theirs.select(cols)
    a = sorted(tuple(canon(v) for v in r.values()) for r in ours.to_pylist())
    b = sorted(tuple(canon(v) for v in r.values()) for r in theirs.to_pylist())
    detail = ""
    if a != b:
        diff = [x for x in a if x not in b][:2] + [("expected",)] + [x for x in b if x not in a][:2]
        detail = f"{len(a)} vs {len(b)} rows; {diff}"
    report.append({"name": c["name"], "ok": a == b, "detail": detail})
print(json.dumps(report))
`;
