import { CorruptTableError } from "@mlfusion/core";

// Z85 (ZeroMQ RFC 32), the encoding of inline deletion vectors and of the UUIDs in deletion vector file names.

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Decodes Z85 text (length a multiple of 5) into bytes. CorruptTableError on invalid input. */
export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) {
    throw new CorruptTableError(`Invalid Z85 data: length ${text.length} is not a multiple of 5.`);
  }
  const out = new Uint8Array((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const code = text.charCodeAt(i + j);
      const digit = code < 128 ? (DECODE[code] ?? -1) : -1;
      if (digit < 0) throw new CorruptTableError(`Invalid Z85 character ${JSON.stringify(text[i + j])}.`);
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new CorruptTableError("Invalid Z85 data: a group overflows 32 bits.");
    out[o] = (value >>> 24) & 0xff;
    out[o + 1] = (value >>> 16) & 0xff;
    out[o + 2] = (value >>> 8) & 0xff;
    out[o + 3] = value & 0xff;
  }
  return out;
}
