import {
  Dictionary,
  Field,
  Int32,
  Int64,
  LargeUtf8,
  List,
  Null,
  Schema,
  Struct,
  Timestamp,
  TimeUnit,
  Uint8,
  Uint64,
  Utf8,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import { fromArrowSchema, toArrowSchema } from "./arrow-schema.js";
import { parseSchemaString, serializeSchema } from "./delta-schema.js";

describe("Arrow <-> Delta schema", () => {
  it("maps types without a Delta equivalent to the nearest Delta type and restores them from the hint", () => {
    const arrow = new Schema([
      new Field("u8", new Uint8(), true),
      new Field("u64", new Uint64(), true),
      new Field("big", new LargeUtf8(), true),
      new Field("cat", new Dictionary(new Utf8(), new Int32()), true),
      new Field("ts_ns", new Timestamp(TimeUnit.NANOSECOND, "Europe/Berlin"), true),
      new Field("ntz", new Timestamp(TimeUnit.MICROSECOND, null), false),
      new Field("l", new List(new Field("element", new Int64(), true)), true),
      new Field("s", new Struct([new Field("a", new Int32(), true)]), true),
    ]);
    const delta = fromArrowSchema(arrow);
    expect(delta.fields.map((f) => f.type)).toEqual([
      "short",
      "decimal(20,0)",
      "string",
      "string",
      "timestamp",
      "timestamp_ntz",
      { type: "array", elementType: "long", containsNull: true },
      { type: "struct", fields: [{ name: "a", type: "integer", nullable: true, metadata: {} }] },
    ]);
    const reparsed = parseSchemaString(serializeSchema(delta));
    const back = toArrowSchema(reparsed);
    expect(back.fields.map((f) => String(f.type))).toEqual(arrow.fields.map((f) => String(f.type)));
    const physical = toArrowSchema(reparsed, { applyArrowTypeHints: false });
    expect(String(physical.fields[1]?.type)).toBe("Decimal[20e0]");
  });

  it("names every column Delta cannot store", () => {
    const arrow = new Schema([new Field("a", new Int32()), new Field("n", new Null()), new Field("m", new Null())]);
    expect(() => fromArrowSchema(arrow)).toThrow(/n has Arrow type Null.*; m has Arrow type Null/);
  });
});
