import { CorruptTableError } from "@mlfusion/core";

// Decoders for the two bitmap layouts of PROTOCOL.md "Deletion Vector Format": the "portable" 64-bit
// RoaringBitmapArray (a count of 32-bit Roaring bitmaps, each with its high 32 bits as key), and the 32-bit
// Roaring format (RoaringFormatSpec: array, bitmap and run containers).

const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const SERIAL_COOKIE = 12347;
const NO_OFFSET_THRESHOLD = 4;

/**
 * Decodes a portable 64-bit RoaringBitmapArray into the sorted set bits (row indexes).
 * `bytes` starts right after the deletion vector magic number.
 */
export function decodeRoaringBitmapArray(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8) throw corrupt("too short for a bitmap count");
  const count = Number(view.getBigUint64(0, true));
  let offset = 8;
  const out: number[] = [];
  for (let b = 0; b < count; b++) {
    if (offset + 4 > bytes.byteLength) throw corrupt("truncated bitmap key");
    const high = view.getUint32(offset, true);
    offset += 4;
    const { values, end } = decodeRoaring32(bytes, offset);
    offset = end;
    const base = high * 2 ** 32;
    for (const v of values) out.push(base + v);
  }
  return out;
}

/** Decodes one 32-bit portable Roaring bitmap starting at `start`; returns its sorted values and end offset. */
export function decodeRoaring32(bytes: Uint8Array, start: number): { values: number[]; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = start;
  const need = (n: number): void => {
    if (p + n > bytes.byteLength) throw corrupt("truncated Roaring bitmap");
  };
  need(4);
  const cookie = view.getUint32(p, true);
  p += 4;
  let size: number;
  let runFlags: Uint8Array | undefined;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    const flagBytes = Math.ceil(size / 8);
    need(flagBytes);
    runFlags = bytes.subarray(p, p + flagBytes);
    p += flagBytes;
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    need(4);
    size = view.getUint32(p, true);
    p += 4;
  } else {
    throw corrupt(`unknown cookie ${cookie}`);
  }
  need(size * 4);
  const keys: number[] = [];
  const cardinalities: number[] = [];
  for (let i = 0; i < size; i++) {
    keys.push(view.getUint16(p, true));
    cardinalities.push(view.getUint16(p + 2, true) + 1);
    p += 4;
  }
  if (runFlags === undefined || size >= NO_OFFSET_THRESHOLD) {
    need(size * 4);
    p += size * 4; // container offsets: containers follow in order, so they are not needed
  }
  const values: number[] = [];
  for (let i = 0; i < size; i++) {
    const base = (keys[i] ?? 0) * 65536;
    const cardinality = cardinalities[i] ?? 0;
    const isRun = runFlags !== undefined && ((runFlags[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
    if (isRun) {
      need(2);
      const runs = view.getUint16(p, true);
      p += 2;
      need(runs * 4);
      for (let r = 0; r < runs; r++) {
        const s = view.getUint16(p, true);
        const length = view.getUint16(p + 2, true);
        p += 4;
        for (let v = s; v <= s + length; v++) values.push(base + v);
      }
    } else if (cardinality <= 4096) {
      need(cardinality * 2);
      for (let c = 0; c < cardinality; c++) {
        values.push(base + view.getUint16(p, true));
        p += 2;
      }
    } else {
      need(8192);
      for (let w = 0; w < 2048; w++) {
        let word = view.getUint32(p + w * 4, true);
        while (word !== 0) {
          const bit = 31 - Math.clz32(word & -word);
          values.push(base + w * 32 + bit);
          word &= word - 1;
        }
      }
      p += 8192;
    }
  }
  return { values, end: p };
}

function corrupt(problem: string): CorruptTableError {
  return new CorruptTableError(`Invalid deletion vector: ${problem}; the table's deletion vector data is damaged.`);
}
