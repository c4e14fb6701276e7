import { describe, expect, test } from "vitest";
import { encodeGrpcFrame, GrpcFramingError, GrpcMessageDecoder } from "./grpc-framing.js";

describe("GrpcMessageDecoder", () => {
  test("reassembles messages split at every byte boundary, and several messages in one chunk", () => {
    const messages = [Buffer.from("first"), Buffer.alloc(0), Buffer.alloc(70_000, 7)];
    const wire = Buffer.concat(messages.map((m) => encodeGrpcFrame(m)));
    for (const size of [1, 3, 5, 4096, wire.length]) {
      const decoder = new GrpcMessageDecoder(1 << 20);
      const out: Buffer[] = [];
      for (let offset = 0; offset < wire.length; offset += size) {
        out.push(...decoder.push(wire.subarray(offset, offset + size)));
      }
      decoder.end();
      expect(out.map((m) => m.toString("hex"))).toEqual(messages.map((m) => m.toString("hex")));
    }
  });

  test("places a spanning message so that the offset the hook names is 8-byte aligned", () => {
    const message = Buffer.alloc(1000, 1);
    const wire = encodeGrpcFrame(message);
    const decoder = new GrpcMessageDecoder(1 << 20, () => 13);
    const [out] = [...decoder.push(wire.subarray(0, 100)), ...decoder.push(wire.subarray(100))];
    expect(out?.length).toBe(1000);
    expect(((out?.byteOffset ?? 1) + 13) % 8).toBe(0);
  });

  test("rejects oversized and compressed messages and a stream that ends mid-message", () => {
    expect(() => new GrpcMessageDecoder(10).push(encodeGrpcFrame(Buffer.alloc(11)))).toThrow(GrpcFramingError);
    const compressed = encodeGrpcFrame(Buffer.from("x"));
    compressed[0] = 1;
    expect(() => new GrpcMessageDecoder(10).push(compressed)).toThrow(/Compressed/);
    const truncated = new GrpcMessageDecoder(100);
    truncated.push(encodeGrpcFrame(Buffer.alloc(50)).subarray(0, 20));
    expect(() => truncated.end()).toThrow(/middle of a gRPC message/);
  });
});
