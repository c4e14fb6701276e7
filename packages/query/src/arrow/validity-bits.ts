import duckdb from "@duckdb/node-bindings";

/**
 * An Arrow validity bitmap built from DuckDB validity masks. DuckDB's uint64 words are LSB-first like Arrow's
 * bitmap, so byte-aligned runs copy as bytes. Stays unallocated (all valid) until the first null.
 */
export class ValidityBits {
  private bits: Uint8Array | null = null;
  nullCount = 0;

  /** DuckDB's mask for the first `end` rows of a vector, or null when every row is valid. */
  static mask(vector: duckdb.Vector, end: number): Uint8Array | null {
    return duckdb.vector_get_validity(vector, Math.ceil(end / 64) * 8) ?? null;
  }

  /** True when row `i` of `mask` is valid. */
  static valid(mask: Uint8Array | null, i: number): boolean {
    return mask === null || ((mask[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }

  /** Appends rows [start, start + count) of `mask` at position `at`. */
  append(mask: Uint8Array | null, at: number, start: number, count: number): void {
    if (mask === null) {
      if (this.bits !== null) this.setRange(at, count);
      return;
    }
    let nulls = 0;
    if ((start & 7) === 0) {
      const first = start >> 3;
      const fullBytes = count >> 3;
      for (let b = first; b < first + fullBytes; b++) {
        const byte = mask[b] ?? 0;
        if (byte !== 0xff) for (let k = 0; k < 8; k++) if ((byte & (1 << k)) === 0) nulls++;
      }
      for (let i = start + (fullBytes << 3); i < start + count; i++) if (!ValidityBits.valid(mask, i)) nulls++;
    } else {
      for (let i = start; i < start + count; i++) if (!ValidityBits.valid(mask, i)) nulls++;
    }
    if (nulls === 0) {
      if (this.bits !== null) this.setRange(at, count);
      return;
    }
    if (this.bits === null) {
      this.bits = new Uint8Array(Math.max(64, Math.ceil((at + count) / 8) * 2));
      this.setRange(0, at);
    }
    this.ensure(at + count);
    const bits = this.bits;
    this.nullCount += nulls;
    if ((at & 7) === 0 && (start & 7) === 0) {
      const full = count >> 3;
      bits.set(mask.subarray(start >> 3, (start >> 3) + full), at >> 3);
      for (let i = full << 3; i < count; i++) if (ValidityBits.valid(mask, start + i)) setBit(bits, at + i);
    } else {
      for (let i = 0; i < count; i++) if (ValidityBits.valid(mask, start + i)) setBit(bits, at + i);
    }
  }

  /** Appends `count` valid rows at `at`. */
  appendValid(at: number, count: number): void {
    if (this.bits !== null) this.setRange(at, count);
  }

  /** Appends one null row at `at`. */
  appendNull(at: number): void {
    if (this.bits === null) {
      this.bits = new Uint8Array(Math.max(64, Math.ceil((at + 1) / 8) * 2));
      this.setRange(0, at);
    }
    this.ensure(at + 1);
    this.nullCount++;
  }

  /** The bitmap of `length` rows (empty when nothing is null, which Arrow reads as all valid); starts over. */
  take(length: number): { nullBitmap: Uint8Array; nullCount: number } {
    const out =
      this.bits === null
        ? { nullBitmap: new Uint8Array(0), nullCount: 0 }
        : { nullBitmap: this.bits.slice(0, Math.ceil(length / 8)), nullCount: this.nullCount };
    this.bits = null;
    this.nullCount = 0;
    return out;
  }

  private ensure(rows: number): void {
    const bits = this.bits;
    if (bits === null || bits.length * 8 >= rows) return;
    const next = new Uint8Array(Math.max(bits.length * 2, Math.ceil(rows / 8)));
    next.set(bits);
    this.bits = next;
  }

  private setRange(from: number, count: number): void {
    this.ensure(from + count);
    const bits = this.bits;
    if (bits === null) return;
    let i = from;
    const end = from + count;
    while (i < end && (i & 7) !== 0) setBit(bits, i++);
    const wholeBytes = (end - i) >> 3;
    if (wholeBytes > 0) {
      bits.fill(0xff, i >> 3, (i >> 3) + wholeBytes);
      i += wholeBytes << 3;
    }
    while (i < end) setBit(bits, i++);
  }
}

/** Sets bit `i` of an LSB-first bitmap. */
export function setBit(bits: Uint8Array, i: number): void {
  bits[i >> 3] = (bits[i >> 3] ?? 0) | (1 << (i & 7));
}
