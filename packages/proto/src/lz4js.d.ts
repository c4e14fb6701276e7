// Types for the parts of lz4js (LZ4 frame format, pure JS) that this package uses.
declare module "lz4js" {
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array | number[];
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array | number[];
}
