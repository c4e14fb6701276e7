import { DateDay, Field, Float64, Int64, Schema, Timestamp, TimeUnit, Utf8 } from "apache-arrow";
import { describe, expect, it } from "vitest";
import type { DataFile, DatasetSnapshot } from "./dataset-catalog.js";
import { skipFiles } from "./file-skipping.js";
import type { ColumnFilter } from "./sql/select-analysis.js";

const schema = new Schema([
  new Field("id", new Int64()),
  new Field("x", new Float64()),
  new Field("name", new Utf8()),
  new Field("day", new DateDay()),
  new Field("ts", new Timestamp(TimeUnit.MICROSECOND, "UTC")),
  new Field("region", new Utf8()),
]);

function file(
  path: string,
  region: string | null,
  min: Record<string, unknown>,
  max: Record<string, unknown>,
  nulls = {},
): DataFile {
  return {
    path,
    partitionValues: { region },
    stats: { numRecords: 10, minValues: min, maxValues: max, nullCount: nulls },
  };
}

const snapshot: DatasetSnapshot = {
  key: ["t"],
  version: 0,
  schema,
  partitionColumns: ["region"],
  files: [
    file(
      "a",
      "east",
      { id: 0, x: 0.5, name: "apple", day: "2024-01-01", ts: "2024-01-01T00:00:00.000Z" },
      { id: 9, x: 1.5, name: "cherry", day: "2024-01-10", ts: "2024-01-01T10:00:00.000Z" },
    ),
    file(
      "b",
      "west",
      { id: 10, x: 2, name: "damson", day: "2024-02-01", ts: "2024-02-01T00:00:00.000Z" },
      { id: 19, x: 3, name: "fig", day: "2024-02-10", ts: "2024-02-01T10:00:00.000Z" },
      { name: 10 },
    ),
    file("c", null, { id: 20 }, { id: 29 }),
    { path: "d", partitionValues: { region: "east" } },
  ],
};

const paths = (filters: ColumnFilter[]) => skipFiles(snapshot, filters).map((f) => f.path);

describe("skipFiles", () => {
  it("keeps only files whose partition value matches, and files without the value stay out of = filters", () => {
    expect(paths([{ column: "region", op: "=", values: [{ kind: "string", value: "east" }] }])).toEqual(["a", "d"]);
    expect(
      paths([
        {
          column: "REGION",
          op: "in",
          values: [
            { kind: "string", value: "west" },
            { kind: "string", value: "x" },
          ],
        },
      ]),
    ).toEqual(["b"]);
  });

  it("uses min/max stats for ranges and keeps files without stats", () => {
    expect(
      paths([
        {
          column: "id",
          op: "between",
          values: [
            { kind: "number", value: 5 },
            { kind: "number", value: 12 },
          ],
        },
      ]),
    ).toEqual(["a", "b", "d"]);
    expect(paths([{ column: "id", op: ">", values: [{ kind: "number", value: 19 }] }])).toEqual(["c", "d"]);
    expect(paths([{ column: "x", op: "<=", values: [{ kind: "number", value: 0.5 }] }])).toEqual(["a", "c", "d"]);
    expect(paths([{ column: "day", op: ">=", values: [{ kind: "date", value: "2024-02-05" }] }])).toEqual([
      "b",
      "c",
      "d",
    ]);
  });

  it("drops files whose column is all null for a comparison (comparisons reject nulls)", () => {
    expect(paths([{ column: "name", op: "<", values: [{ kind: "string", value: "zzz" }] }])).toEqual(["a", "c", "d"]);
  });

  it("widens timestamp stats instead of trusting millisecond-truncated bounds", () => {
    expect(
      paths([{ column: "ts", op: ">", values: [{ kind: "timestamp", value: "2024-01-01 10:00:00.0005" }] }]),
    ).toEqual(["a", "b", "c", "d"]);
    expect(paths([{ column: "ts", op: ">", values: [{ kind: "timestamp", value: "2024-01-15 00:00:00" }] }])).toEqual([
      "b",
      "c",
      "d",
    ]);
  });

  it("drops all-null files and null partitions for IS NOT NULL", () => {
    expect(paths([{ column: "name", op: "not null", values: [] }])).toEqual(["a", "c", "d"]);
    expect(paths([{ column: "region", op: "not null", values: [] }])).toEqual(["a", "b", "d"]);
  });

  it("keeps files that may match any side of an OR on one column", () => {
    const or = (...alternatives: ColumnFilter[]): ColumnFilter => ({
      column: "id",
      op: "or",
      values: [],
      alternatives,
    });
    const eq = (value: number): ColumnFilter => ({ column: "id", op: "=", values: [{ kind: "number", value }] });
    expect(paths([or(eq(3), eq(25))])).toEqual(["a", "c", "d"]);
    expect(paths([or(eq(3), { column: "id", op: "=", values: [{ kind: "string", value: "x" }] })])).toHaveLength(4);
  });

  it("keeps everything for filters it cannot evaluate", () => {
    expect(paths([{ column: "id", op: "=", values: [{ kind: "string", value: "not a number" }] }])).toHaveLength(4);
    expect(paths([{ column: "missing", op: "=", values: [{ kind: "number", value: 1 }] }])).toHaveLength(4);
  });
});
