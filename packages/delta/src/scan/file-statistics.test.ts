import { describe, expect, it } from "vitest";
import { mayMatch } from "../expression/data-skipping.js";
import { parseExpression } from "../expression/parse-expression.js";
import { resolveExpression } from "../expression/resolve-expression.js";
import type { AddAction } from "../log/actions.js";
import type { StructType } from "../schema/delta-schema.js";
import { fileStatsLookup } from "./file-statistics.js";
import { parsePartitionValue } from "./partition-values.js";

const schema: StructType = {
  type: "struct",
  fields: [
    { name: "id", type: "long", nullable: true, metadata: { "delta.columnMapping.physicalName": "col-1" } },
    { name: "ts", type: "timestamp", nullable: true, metadata: {} },
    { name: "p", type: "string", nullable: true, metadata: {} },
  ],
};

function add(partition: string | null, stats?: object): AddAction {
  const a: AddAction = {
    path: "f.parquet",
    partitionValues: { p: partition },
    size: 1,
    modificationTime: 0,
    dataChange: true,
  };
  if (stats !== undefined) a.stats = JSON.stringify(stats);
  return a;
}

function may(file: AddAction, filter: string, mode: "none" | "name" = "none"): boolean {
  const values = new Map([["p", parsePartitionValue(file.partitionValues.p, "string", "p")]]);
  return mayMatch(resolveExpression(parseExpression(filter), schema), fileStatsLookup(file, schema, mode, values));
}

describe("file statistics for skipping", () => {
  it("treats partition values as exact, even without statistics", () => {
    const nullPartition = add(null);
    expect(may(nullPartition, "p = 'x'")).toBe(false);
    expect(may(nullPartition, "p IS NULL")).toBe(true);
    expect(may(nullPartition, "p IS NOT NULL")).toBe(false);
    expect(may(add("x"), "p IN ('x', 'y')")).toBe(true);
    expect(may(add("x"), "p IS NULL")).toBe(false);
  });

  it("reads JSON statistics by physical name and widens timestamp maxima by 1 ms", () => {
    const file = add("x", {
      numRecords: 3,
      minValues: { "col-1": 5, ts: "2024-01-01T00:00:00.000Z" },
      maxValues: { "col-1": 9, ts: "2024-01-01T00:00:01.000Z" },
      nullCount: { "col-1": 0, ts: 0 },
    });
    expect(may(file, "id > 9", "name")).toBe(false);
    expect(may(file, "id > 8", "name")).toBe(true);
    // Stored maxima are truncated to milliseconds: 00:00:01.000500 may be in the file.
    expect(may(file, "ts = '2024-01-01T00:00:01.000500Z'")).toBe(true);
    expect(may(file, "ts > '2024-01-01T00:00:01.001000Z'")).toBe(false);
    expect(may(add("x", { numRecords: 3 }), "id > 100")).toBe(true);
    const loose = add("x", {
      numRecords: 3,
      minValues: { id: 1 },
      maxValues: { id: 2 },
      nullCount: { id: 3 },
      tightBounds: false,
    });
    expect(may(loose, "id IS NOT NULL")).toBe(true); // null counts of wide bounds are not trusted
  });
});
