import { InvalidArgumentError } from "@mlfusion/core";
import {
  Field,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  tableFromArrays,
  vectorFromArray,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import type { StructType } from "../schema/delta-schema.js";
import { mayMatch } from "./data-skipping.js";
import { evaluateOnBatch } from "./evaluate-batch.js";
import { expressionToString } from "./expression.js";
import { parseExpression } from "./parse-expression.js";
import { resolveExpression } from "./resolve-expression.js";
import { parseTimestampMicros } from "./scalar.js";

const schema: StructType = {
  type: "struct",
  fields: [
    { name: "a", type: "long", nullable: true, metadata: {} },
    { name: "b", type: "string", nullable: true, metadata: {} },
    { name: "c", type: "double", nullable: true, metadata: {} },
    { name: "d", type: "boolean", nullable: true, metadata: {} },
    { name: "ts", type: "timestamp", nullable: true, metadata: {} },
    { name: "day", type: "date", nullable: true, metadata: {} },
    { name: "a b", type: "integer", nullable: true, metadata: {} },
    {
      name: "s",
      type: { type: "struct", fields: [{ name: "x", type: "integer", nullable: true, metadata: {} }] },
      nullable: true,
      metadata: {},
    },
  ],
};

describe("parseExpression", () => {
  it("parses comparisons, boolean logic, IN, IS NULL, quoted and nested names", () => {
    const e = parseExpression(`a > 1 AND (b IN ('x','y') OR c IS NULL) AND NOT d = true AND "a b" <> -3 AND s.x >= 2`);
    expect(expressionToString(e)).toBe(
      `(a > 1) AND ((b IN ('x', 'y')) OR (c IS NULL)) AND (NOT (d = TRUE)) AND ("a b" != -3) AND (s.x >= 2)`,
    );
    expect(parseExpression("ts >= '2024-01-01T00:00:00Z'")).toMatchObject({ kind: "comparison", op: ">=" });
    expect(parseExpression("b IS NOT NULL")).toEqual({
      kind: "not",
      child: { kind: "isNull", operand: { kind: "column", path: ["b"] } },
    });
    expect(parseExpression("a NOT IN (1, 2)")).toMatchObject({ kind: "not", child: { kind: "in" } });
    expect(parseExpression("a BETWEEN 1 AND 3")).toMatchObject({ kind: "and" });
    expect(parseExpression("b = 'it''s'")).toMatchObject({ right: { literal: { value: "it's" } } });
  });

  it("rejects bad expressions with an InvalidArgumentError that gives the position", () => {
    for (const [text, position] of [
      ["a >", 4],
      ["a > 1 AND", 10],
      ["(a > 1", 7],
      ["a = 'x", 5],
      ["a # 1", 3],
      ["a IN 1", 6],
      ["a > 1 b", 7],
    ] as const) {
      let error: unknown;
      try {
        parseExpression(text);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(InvalidArgumentError);
      expect(String(error), text).toContain(`position ${position}`);
    }
  });
});

describe("resolveExpression", () => {
  it("names unknown columns and lists the available ones", () => {
    expect(() => resolveExpression(parseExpression("nope = 1"), schema)).toThrow(
      /Unknown column nope.*columns a, b, c/,
    );
    expect(() => resolveExpression(parseExpression("s.y = 1"), schema)).toThrow(/struct s has columns x/);
  });

  it("converts literals to the column type and rejects values that do not fit", () => {
    const r = resolveExpression(parseExpression("ts >= '2024-01-01T00:00:00.000001Z' AND day = '2024-01-02'"), schema);
    expect(r).toMatchObject({
      kind: "and",
      children: [{ right: { value: 1704067200000001n } }, { right: { value: 19724 } }],
    });
    expect(() => resolveExpression(parseExpression("ts > 'soon'"), schema)).toThrow(InvalidArgumentError);
    expect(() => resolveExpression(parseExpression("a = 'x'"), schema)).toThrow(/cannot be compared with column a/);
    expect(() => resolveExpression(parseExpression("s = 1"), schema)).toThrow(/only IS \[NOT\] NULL/);
  });
});

describe("evaluateOnBatch", () => {
  it("applies SQL three-valued logic: null never selects a row", () => {
    const table = tableFromArrays({
      a: BigInt64Array.from([1n, 2n, 3n, 4n]),
      b: ["x", null, "y", "z"],
      c: Float64Array.from([1.5, Number.NaN, -0, 3]),
    });
    const batch = table.batches[0];
    if (batch === undefined) throw new Error("no batch");
    const mask = (text: string) => Array.from(evaluateOnBatch(resolveExpression(parseExpression(text), schema), batch));
    expect(mask("a > 1")).toEqual([0, 1, 1, 1]);
    expect(mask("b = 'x' OR a = 4")).toEqual([1, 0, 0, 1]);
    expect(mask("b != 'x'")).toEqual([0, 0, 1, 1]);
    expect(mask("NOT b = 'x'")).toEqual([0, 0, 1, 1]);
    expect(mask("b IS NULL")).toEqual([0, 1, 0, 0]);
    expect(mask("b IN ('y', 'z') AND a < 4")).toEqual([0, 0, 1, 0]);
    expect(mask("b NOT IN ('x', NULL)")).toEqual([0, 0, 0, 0]);
    expect(mask("c > 2")).toEqual([0, 1, 0, 1]); // NaN sorts above every number
    expect(mask("c = 0")).toEqual([0, 0, 1, 0]);
    expect(mask("a BETWEEN 2 AND 3")).toEqual([0, 1, 1, 0]);
  });

  it("reads timestamps exactly and nested struct fields with null parents", () => {
    const ts = vectorFromArray([1704067200000, null, 1704067200001], new TimestampMicrosecond("UTC"));
    const x = vectorFromArray([1, 2, 3]);
    const [xData] = x.data;
    const [tsData] = ts.data;
    if (xData === undefined || tsData === undefined) throw new Error("vectors without data");
    const structType = new Struct([new Field("x", x.type, true)]);
    const s = makeData({
      type: structType,
      length: 3,
      nullCount: 1,
      nullBitmap: Uint8Array.from([0b101]),
      children: [xData],
    });
    const batch = new RecordBatch(
      new Schema([new Field("ts", ts.type, true), new Field("s", structType, true)]),
      makeData({
        type: new Struct([new Field("ts", ts.type, true), new Field("s", structType, true)]),
        length: 3,
        children: [tsData, s],
      }),
    );
    const mask = (text: string) => Array.from(evaluateOnBatch(resolveExpression(parseExpression(text), schema), batch));
    expect(mask("s.x >= 2")).toEqual([0, 0, 1]);
    expect(mask("s.x IS NULL")).toEqual([0, 1, 0]);
    expect(mask("ts > '2024-01-01T00:00:00.000500Z'")).toEqual([0, 0, 1]);
    expect(mask("ts = '2024-01-01T00:00:00.001Z'")).toEqual([0, 0, 1]);
  });
});

describe("mayMatch", () => {
  const stats = {
    a: { min: 10n, max: 20n, nullCount: 0, numRecords: 5 },
    b: { min: "m", max: "p", nullCount: 5, numRecords: 5 },
  };
  const may = (text: string) =>
    mayMatch(resolveExpression(parseExpression(text), schema), (path) => stats[path[0] as "a" | "b"] ?? undefined);

  it("skips files whose ranges cannot match and keeps the rest", () => {
    expect(may("a > 20")).toBe(false);
    expect(may("a >= 20")).toBe(true);
    expect(may("a = 5 OR a = 15")).toBe(true);
    expect(may("a IN (1, 2, 30)")).toBe(false);
    expect(may("NOT a < 25")).toBe(false);
    expect(may("a IS NULL")).toBe(false);
    expect(may("b IS NOT NULL")).toBe(false);
    expect(may("b = 'n'")).toBe(false); // all nulls
    expect(may("c > 1")).toBe(true); // no statistics
    expect(may("NOT (a > 5 AND a < 100)")).toBe(false);
  });

  it("parses timestamps with zones and fractions to exact microseconds", () => {
    expect(parseTimestampMicros("2024-01-01T01:00:00+01:00")).toBe(1704067200000000n);
    expect(parseTimestampMicros("2024-01-01 00:00:00.123456")).toBe(1704067200123456n);
    expect(parseTimestampMicros("not a time")).toBeUndefined();
  });
});
