import { createTempDir } from "@mlfusion/testing";
import {
  Dictionary,
  Field,
  Float16,
  Int8,
  Int32,
  LargeUtf8,
  makeVector,
  Schema,
  Table,
  TimestampMillisecond,
  TimestampNanosecond,
  Uint8,
  Uint16,
  Uint32,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import { createLocalObjectStore } from "../src/storage/local-object-store.js";
import { DeltaTable } from "../src/table.js";
import { writeDeltaTable } from "../src/write/write-delta-table.js";
import { addRows, multisetDifference } from "./row-multiset.js";

// Arrow types with no Delta equivalent are stored as the nearest Delta type plus an mlfusion.arrowType hint; the
// reader casts them back, so what a user wrote is what a user reads.

describe("reading back exact Arrow types", () => {
  it("returns the written types and values for hinted columns", async () => {
    const dir = await createTempDir("read-types-");
    try {
      const n = 5;
      const columns = {
        u8: vectorFromArray([0, 255, null, 7, 128], new Uint8()),
        u16: vectorFromArray([0, 65535, 1, null, 9], new Uint16()),
        u32: vectorFromArray([0, 4294967295, 1, 2, null], new Uint32()),
        u64: makeVector(BigUint64Array.from([0n, 18446744073709551615n, 1n, 2n, 3n])),
        large: vectorFromArray(["a", null, "ccc", "", "e"], new LargeUtf8()),
        dict: vectorFromArray(["x", "y", "x", null, "y"], new Dictionary(new Utf8(), new Int32())),
        ns: vectorFromArray([0, 1_700_000_000_123, null, 5, 6], new TimestampNanosecond("UTC")),
        ms: vectorFromArray([0, 1_700_000_000_123, null, 5, 6], new TimestampMillisecond()),
        half: vectorFromArray([0.5, -1, null, 2, 0], new Float16()),
        tiny: vectorFromArray([1, -128, 127, null, 0], new Int8()),
      };
      const table = new Table(columns);
      await writeDeltaTable(createLocalObjectStore(dir.path), table, { mode: "error" });
      const read = await DeltaTable.open(createLocalObjectStore(dir.path));
      const schema = read.schema();
      const written = new Schema(Object.entries(columns).map(([name, v]) => new Field(name, v.type, true)));
      expect(schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(
        written.fields.map((f) => `${f.name}:${String(f.type)}`),
      );
      const actual = new Map<string, number>();
      let rows = 0;
      for await (const batch of read.scan()) {
        expect(batch.schema.fields.map((f) => String(f.type))).toEqual(written.fields.map((f) => String(f.type)));
        addRows(actual, batch);
        rows += batch.numRows;
      }
      expect(rows).toBe(n);
      const expected = new Map<string, number>();
      for (const batch of table.batches) addRows(expected, batch);
      expect(multisetDifference(actual, expected)).toEqual([]);
    } finally {
      await dir.close();
    }
  });
});
