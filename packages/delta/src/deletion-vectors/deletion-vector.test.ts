import { CorruptTableError } from "@mlfusion/core";
import { createTempDir } from "@mlfusion/testing";
import { describe, expect, it } from "vitest";
import { createLocalObjectStore } from "../storage/local-object-store.js";
import { deletedRowCursor, loadDeletionVector, uuidDeletionVectorPath } from "./deletion-vector.js";
import { decodeRoaring32 } from "./roaring-bitmap.js";
import { z85Decode } from "./z85.js";

/** Little-endian helpers to build RoaringFormatSpec bytes by hand. */
function u16(...values: number[]): number[] {
  return values.flatMap((v) => [v & 0xff, (v >> 8) & 0xff]);
}
function u32(...values: number[]): number[] {
  return values.flatMap((v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
}

/** A 64-bit RoaringBitmapArray with one 32-bit bitmap (key 0), preceded by the deletion vector magic. */
function portable(bitmap32: number[]): Uint8Array {
  return Uint8Array.from([...u32(1681511377), ...u32(1, 0), ...u32(0), ...bitmap32]);
}

describe("deletion vectors", () => {
  it("decodes Z85 as in ZeroMQ RFC 32", () => {
    expect(Array.from(z85Decode("HelloWorld"))).toEqual([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(() => z85Decode("abc")).toThrow(CorruptTableError);
  });

  it("decodes array, run and bitmap containers", () => {
    const array = Uint8Array.from([...u32(12346), ...u32(1), ...u16(0, 2), ...u32(16), ...u16(3, 7, 9)]);
    expect(decodeRoaring32(array, 0).values).toEqual([3, 7, 9]);
    const run = Uint8Array.from([...u32(12347), 0x01, ...u16(0, 9), ...u16(1, 5, 9)]);
    expect(decodeRoaring32(run, 0).values).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    const words = new Array<number>(2048).fill(0);
    for (let v = 0; v < 5000; v++) words[v >> 5] = (words[v >> 5] ?? 0) | (1 << (v & 31));
    const bitmap = Uint8Array.from([...u32(12346), ...u32(1), ...u16(0, 4999), ...u32(16), ...u32(...words)]);
    const values = decodeRoaring32(bitmap, 0).values;
    expect(values).toHaveLength(5000);
    expect(values[4999]).toBe(4999);
  });

  it("loads inline and file deletion vectors and checks their cardinality", async () => {
    const dir = await createTempDir("dv-");
    try {
      const store = createLocalObjectStore(dir.path);
      const bitmap = portable([...u32(12346), ...u32(1), ...u16(0, 1), ...u32(16), ...u16(0, 9)]);
      const uuidZ85 = "vBn[lx{q8@P<9BNH/isA";
      const path = uuidDeletionVectorPath(uuidZ85);
      expect(path).toBe("deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin");
      const size = Uint8Array.from(u32(bitmap.length)).reverse(); // big-endian size
      await store.put(path, Uint8Array.from([1, ...size, ...bitmap, 0, 0, 0, 0]));
      const dv = { storageType: "u", pathOrInlineDv: uuidZ85, offset: 1, sizeInBytes: bitmap.length, cardinality: 2 };
      expect(Array.from(await loadDeletionVector(store, dv))).toEqual([0, 9]);
      await expect(loadDeletionVector(store, { ...dv, cardinality: 3 })).rejects.toThrow(CorruptTableError);
      const inline = {
        storageType: "i",
        pathOrInlineDv: "^Bg9^0rr910000000000iXQKl0rr91000315c8Xg000f5",
        sizeInBytes: 36,
        cardinality: 2,
      };
      const rows = await loadDeletionVector(store, inline);
      expect(rows).toHaveLength(2);
      const isDeleted = deletedRowCursor(rows);
      const deleted = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].filter((r) => isDeleted(r));
      expect(deleted).toEqual(Array.from(rows));
    } finally {
      await dir.close();
    }
  });
});
