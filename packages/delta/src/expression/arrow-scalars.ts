import { type Data, type DataType, makeVector, type RecordBatch, TimeUnit, Type, type Vector } from "apache-arrow";
import type { Scalar } from "./scalar.js";

// Reads Arrow cells as Scalars (scalar.ts): timestamps as exact microseconds, dates as days and decimals as
// unscaled bigints, from the raw buffers where apache-arrow's getters would lose precision.

/** Reads row `i` of a column as a Scalar (null for a null cell or a null parent struct). */
export type ScalarReader = (row: number) => Scalar;

/** A reader for the column at `path` of a batch (nested struct fields by name); undefined when absent. */
export function scalarReader(batch: RecordBatch, path: readonly string[]): ScalarReader | undefined {
  const [first, ...rest] = path;
  if (first === undefined) return undefined;
  const chain: Vector[] = [];
  let vector: Vector | null = batch.getChild(first);
  if (vector === null) return undefined;
  chain.push(vector);
  for (const name of rest) {
    vector = vector.getChild(name);
    if (vector === null) return undefined;
    chain.push(vector);
  }
  const parents = chain.slice(0, -1);
  const leaf = vector;
  const read = leafReader(leaf);
  if (parents.length === 0) return read;
  return (row) => {
    for (const p of parents) if (!p.isValid(row)) return null;
    return read(row);
  };
}

/** A reader for one vector's cells. */
export function leafReader(vector: Vector): ScalarReader {
  const chunks = vector.data.map((d) => chunkReader(d));
  if (chunks.length === 1) {
    const only = chunks[0];
    if (only !== undefined) return only;
  }
  const starts: number[] = [];
  let total = 0;
  for (const d of vector.data) {
    starts.push(total);
    total += d.length;
  }
  return (row) => {
    let c = chunks.length - 1;
    while (c > 0 && (starts[c] ?? 0) > row) c--;
    const reader = chunks[c];
    return reader === undefined ? null : reader(row - (starts[c] ?? 0));
  };
}

function chunkReader(data: Data<DataType>): ScalarReader {
  const valid = (row: number): boolean => {
    const bitmap = data.nullBitmap;
    if (data.nullCount === 0 || bitmap === undefined || bitmap.length === 0) return true;
    const bit = data.offset + row;
    return ((bitmap[bit >> 3] ?? 0) & (1 << (bit & 7))) !== 0;
  };
  const type = data.type;
  switch (type.typeId) {
    case Type.Timestamp: {
      const values = data.values;
      const unit: TimeUnit = "unit" in type && typeof type.unit === "number" ? type.unit : TimeUnit.MICROSECOND;
      return (row) => {
        if (!valid(row)) return null;
        const raw = values[row];
        const v = typeof raw === "bigint" ? raw : BigInt(Math.trunc(Number(raw ?? 0)));
        switch (unit) {
          case TimeUnit.SECOND:
            return v * 1_000_000n;
          case TimeUnit.MILLISECOND:
            return v * 1000n;
          case TimeUnit.NANOSECOND:
            return v / 1000n - (v % 1000n < 0n ? 1n : 0n);
          default:
            return v;
        }
      };
    }
    case Type.Date: {
      const values = data.values;
      const isDay = "unit" in type && type.unit === 0;
      return (row) => {
        if (!valid(row)) return null;
        const raw = values[row];
        if (isDay) return Number(raw ?? 0);
        return Math.floor(Number(raw ?? 0) / 86_400_000);
      };
    }
    case Type.Decimal: {
      const values = data.values;
      const scale = "scale" in type && typeof type.scale === "number" ? type.scale : 0;
      const bitWidth = "bitWidth" in type && typeof type.bitWidth === "number" ? type.bitWidth : 128;
      const words = bitWidth / 32;
      return (row) => {
        if (!valid(row)) return null;
        const base = row * words;
        const lo = Number(values[base] ?? 0) >>> 0;
        const hi = Number(values[base + 1] ?? 0) >>> 0;
        let upper = 0;
        let allOnes = true;
        for (let w = 2; w < words; w++) {
          const word = Number(values[base + w] ?? 0) >>> 0;
          upper |= word;
          if (word !== 0xffffffff) allOnes = false;
        }
        // Fast path: values within +-2^53 (almost every decimal in practice) need no 128-bit arithmetic.
        if (upper === 0 && hi < 0x200000) return { unscaled: BigInt(hi * 4294967296 + lo), scale };
        if (allOnes && hi >= 0xffe00000) return { unscaled: BigInt((hi - 4294967296) * 4294967296 + lo), scale };
        let v = 0n;
        for (let w = words - 1; w >= 0; w--) v = (v << 32n) | BigInt(Number(values[base + w] ?? 0) >>> 0);
        const bits = BigInt(bitWidth);
        if (v >= 1n << (bits - 1n)) v -= 1n << bits;
        return { unscaled: v, scale };
      };
    }
    default: {
      const vector = dataVector(data);
      return (row) => {
        if (!valid(row)) return null;
        const v: unknown = vector(row);
        if (v === null || v === undefined) return null;
        if (typeof v === "number" || typeof v === "bigint" || typeof v === "string" || typeof v === "boolean") return v;
        if (v instanceof Uint8Array) return v;
        return String(v);
      };
    }
  }
}

function dataVector(data: Data<DataType>): (row: number) => unknown {
  const vector = makeVector(data);
  return (row) => vector.get(row);
}
