import { CompressionType, compressionRegistry } from "apache-arrow";
import { decompress as zstdDecompress } from "fzstd";
import { compress as lz4Compress, decompress as lz4Decompress } from "lz4js";

let registered = false;

/**
 * Registers ZSTD and LZ4_FRAME codecs in apache-arrow's `compressionRegistry`, so that IPC bodies compressed by
 * pyarrow (`IpcWriteOptions(compression="zstd"|"lz4")`) decode. Idempotent. Pure-JS codecs: no native builds.
 *
 * @example
 * registerCompressionCodecs();
 */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => ownBuffer(zstdDecompress(data)) });
  compressionRegistry.set(CompressionType.LZ4_FRAME, {
    encode: (data) => Uint8Array.from(lz4Compress(data)),
    decode: (data) => ownBuffer(lz4Decompress(data)),
  });
}

/**
 * apache-arrow builds typed arrays straight over decoded buffers, so they must start 8-byte aligned; codecs may
 * return views into a larger window (fzstd does for frames without a content size), so copy those.
 */
function ownBuffer(data: Uint8Array | number[]): Uint8Array {
  if (data instanceof Uint8Array && data.byteOffset % 8 === 0) return data;
  return Uint8Array.from(data);
}
