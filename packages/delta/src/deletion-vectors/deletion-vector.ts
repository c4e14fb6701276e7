import { CorruptTableError, UnsupportedFeatureError } from "@mlfusion/core";
import type { DeletionVectorDescriptor } from "../log/actions.js";
import type { ObjectStore } from "../storage/object-store.js";
import { decodeRoaringBitmapArray } from "./roaring-bitmap.js";
import { z85Decode } from "./z85.js";

// PROTOCOL.md "Deletion Vectors": the rows of a data file that are deleted, as a 64-bit Roaring bitmap stored
// inline (Z85, storageType "i"), in a file named from a UUID ("u") or at an absolute path ("p").

const MAGIC = 1681511377;

/** The sorted row indexes a deletion vector marks as deleted. */
export async function loadDeletionVector(
  store: ObjectStore,
  dv: DeletionVectorDescriptor,
  signal?: AbortSignal,
): Promise<Float64Array> {
  let bytes: Uint8Array;
  switch (dv.storageType) {
    case "i":
      bytes = z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes);
      break;
    case "u":
    case "p": {
      const path =
        dv.storageType === "u" ? uuidDeletionVectorPath(dv.pathOrInlineDv) : absoluteDvPath(store, dv.pathOrInlineDv);
      const offset = dv.offset ?? 1;
      // At `offset`: the size (4 bytes, big-endian), then the bitmap, then a CRC-32 (not verified here).
      const chunk = await store.getRange(path, offset, offset + 4 + dv.sizeInBytes, signal);
      if (chunk.byteLength < 4 + dv.sizeInBytes) {
        throw new CorruptTableError(
          `Deletion vector file ${path} is truncated; the table's deletion vectors are damaged.`,
        );
      }
      bytes = chunk.subarray(4, 4 + dv.sizeInBytes);
      break;
    }
    default:
      throw new UnsupportedFeatureError(
        `deletionVector.storageType=${dv.storageType}`,
        `The table has a deletion vector with storage type "${dv.storageType}", which this reader does not know.`,
      );
  }
  if (bytes.byteLength < 4) throw new CorruptTableError("A deletion vector is too short; the table is damaged.");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) {
    throw new CorruptTableError("A deletion vector has a wrong magic number; the table is damaged.");
  }
  const rows = decodeRoaringBitmapArray(bytes.subarray(4));
  if (rows.length !== dv.cardinality) {
    throw new CorruptTableError(
      `A deletion vector holds ${rows.length} rows but its descriptor says ${dv.cardinality}; the table is damaged.`,
    );
  }
  return Float64Array.from(rows);
}

/** The file of a "u" deletion vector: `<prefix>/deletion_vector_<uuid>.bin`, the UUID Z85-encoded in the last 20 chars. */
export function uuidDeletionVectorPath(pathOrInlineDv: string): string {
  if (pathOrInlineDv.length < 20) {
    throw new CorruptTableError(`Invalid deletion vector id ${JSON.stringify(pathOrInlineDv)}; the log is damaged.`);
  }
  const prefix = pathOrInlineDv.slice(0, -20);
  const uuidBytes = z85Decode(pathOrInlineDv.slice(-20));
  const hex = Buffer.from(uuidBytes).toString("hex");
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const name = `deletion_vector_${uuid}.bin`;
  return prefix === "" ? name : `${prefix}/${name}`;
}

function absoluteDvPath(store: ObjectStore, uri: string): string {
  const decoded = decodeURIComponent(uri.replace(/^file:(\/\/)?/, ""));
  const root = store.location.endsWith("/") ? store.location : `${store.location}/`;
  if (decoded.startsWith(root)) return decoded.slice(root.length);
  throw new UnsupportedFeatureError(
    "deletionVector.absolutePath",
    `A deletion vector lives outside the table (${uri}); reading it needs a store for that location.`,
  );
}

/** Builds a mask selector: `isDeleted(rowIndex)` for ascending row indexes, in O(1) amortised per call. */
export function deletedRowCursor(deleted: Float64Array): (rowIndex: number) => boolean {
  let next = 0;
  return (rowIndex) => {
    while (next < deleted.length && (deleted[next] ?? 0) < rowIndex) next++;
    return next < deleted.length && deleted[next] === rowIndex;
  };
}
