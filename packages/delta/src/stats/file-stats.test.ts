import { type TableColumn, tableOf } from "@mlfusion/testing";
import { Float64, Utf8, vectorFromArray } from "apache-arrow";
import { parquetMetadata } from "hyparquet";
import { describe, expect, it } from "vitest";
import { writeParquetBytes } from "../parquet/parquet-writer.js";
import { STATS_PARSERS, statsFromFooter } from "./file-stats.js";

function footerOf(columns: Record<string, TableColumn>) {
  const bytes = writeParquetBytes(tableOf(columns).batches);
  return parquetMetadata(bytes, { parsers: STATS_PARSERS });
}

describe("statsFromFooter", () => {
  it("leaves out the bounds when the maximum string is longer than 32 characters", () => {
    const long = "b".repeat(40);
    const footer = footerOf({ s: vectorFromArray(["a".repeat(40), long, null], new Utf8()) });
    const stats = JSON.parse(
      statsFromFooter(footer, {
        type: "struct",
        fields: [{ name: "s", type: "string", nullable: true, metadata: {} }],
      }),
    );
    expect(stats).toEqual({ numRecords: 3, minValues: {}, maxValues: {}, nullCount: { s: 1 } });
  });

  it("omits non-finite float bounds but counts nulls", () => {
    const footer = footerOf({ x: vectorFromArray([1.5, Number.POSITIVE_INFINITY, null], new Float64()) });
    const stats = JSON.parse(
      statsFromFooter(footer, {
        type: "struct",
        fields: [{ name: "x", type: "double", nullable: true, metadata: {} }],
      }),
    );
    expect(stats.nullCount).toEqual({ x: 1 });
    expect(stats.maxValues.x).toBeUndefined();
  });
});
