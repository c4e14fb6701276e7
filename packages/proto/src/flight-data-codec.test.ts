import { InvalidArgumentError } from "@mlfusion/core";
import { Dictionary, Int32, type RecordBatch, Table, tableFromArrays, Utf8, vectorFromArray } from "apache-arrow";
import { describe, expect, test } from "vitest";
import {
  decodeRecordBatches,
  decodeSchema,
  encodeRecordBatches,
  encodeSchema,
  type FlightDataFrame,
  flightDataBodyOffset,
  parseFlightData,
} from "./flight-data-codec.js";

async function roundTrip(batches: RecordBatch[]): Promise<RecordBatch[]> {
  const schema = batches[0]?.schema;
  if (schema === undefined) throw new Error("no batches");
  const frames: FlightDataFrame[] = [];
  for await (const frame of encodeRecordBatches(schema, batches)) {
    // Drop the gRPC prefix and copy to an odd offset: the decoder must cope with unaligned bodies.
    const bytes = Buffer.concat(frame.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))).subarray(5);
    const shifted = Buffer.alloc(bytes.length + 3).subarray(3);
    bytes.copy(shifted);
    frames.push(parseFlightData(shifted));
  }
  async function* source() {
    yield* frames;
  }
  const { batches: out } = await decodeRecordBatches(source());
  const result: RecordBatch[] = [];
  for await (const batch of out) result.push(batch);
  return result;
}

describe("FlightData codec", () => {
  test("round-trips record batches with nulls and a dictionary column, bodies arriving unaligned", async () => {
    const table = new Table({
      n: vectorFromArray([1, null, 3], new Int32()),
      d: vectorFromArray(["x", "y", "x"], new Dictionary(new Utf8(), new Int32())),
    });
    const [out, ...rest] = await roundTrip([...table.batches]);
    expect(rest).toEqual([]);
    expect(out?.getChild("n")?.nullCount).toBe(1);
    expect(out?.toArray().map((r) => r.toJSON())).toEqual([
      { n: 1, d: "x" },
      { n: null, d: "y" },
      { n: 3, d: "x" },
    ]);
  });

  test("finds data_body's offset from the first bytes of a FlightData", async () => {
    const table = tableFromArrays({ v: Float64Array.from([1, 2, 3, 4]) });
    const frames: Uint8Array[][] = [];
    for await (const frame of encodeRecordBatches(table.schema, table.batches)) frames.push(frame);
    const batchFrame = frames[1];
    if (batchFrame === undefined) throw new Error("expected a record batch frame");
    const bytes = Buffer.concat(batchFrame.map((c) => Buffer.from(c))).subarray(5);
    const offset = flightDataBodyOffset(bytes.subarray(0, 400));
    expect(offset).toBe(parseFlightData(bytes).dataBody.byteOffset - bytes.byteOffset);
    expect(flightDataBodyOffset(bytes.subarray(0, 3))).toBeUndefined();
  });

  test("encodes schemas in the encapsulated form and reads the legacy form too", () => {
    const schema = tableFromArrays({ a: Int32Array.from([1]) }).schema;
    const encapsulated = encodeSchema(schema);
    expect(new DataView(encapsulated.buffer, encapsulated.byteOffset).getUint32(0, true)).toBe(0xffffffff);
    expect(decodeSchema(encapsulated).fields.map((f) => f.name)).toEqual(["a"]);
    expect(decodeSchema(encapsulated.subarray(4)).fields.map((f) => f.name)).toEqual(["a"]);
    expect(() => decodeSchema(Uint8Array.from([1, 2, 3]))).toThrow(InvalidArgumentError);
  });

  test("rejects malformed FlightData with InvalidArgumentError", () => {
    expect(() => parseFlightData(Uint8Array.from([0x12, 0x20, 0x01]))).toThrow(/runs past the end/);
    expect(() => parseFlightData(Uint8Array.from([0x0f]))).toThrow(/wire type/);
  });
});
