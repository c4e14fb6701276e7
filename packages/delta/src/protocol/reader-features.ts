import { CorruptTableError, UnsupportedFeatureError } from "@mlfusion/core";
import type { ProtocolAction } from "../log/actions.js";

// The reader side of PROTOCOL.md "Protocol Evolution" and "Table Features": a table may be read only when every
// reader feature it declares is implemented here.

/** Reader table features this reader implements. */
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set([
  "columnMapping",
  "deletionVectors",
  "timestampNtz",
  "v2Checkpoint",
  "vacuumProtocolCheck",
  "typeWidening",
  "typeWidening-preview",
]);

/** The highest minReaderVersion this reader understands (3 = table features). */
export const MAX_READER_VERSION = 3;

/**
 * Throws UnsupportedFeatureError naming the first feature of `protocol` this reader does not implement.
 *
 * @example
 * assertReadable({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ["deletionVectors"] });
 */
export function assertReadable(protocol: ProtocolAction, location = "the table"): void {
  const version = protocol.minReaderVersion;
  if (!Number.isInteger(version) || version < 1) {
    throw new CorruptTableError(`The protocol of ${location} has an invalid minReaderVersion ${version}.`);
  }
  if (version > MAX_READER_VERSION) {
    throw new UnsupportedFeatureError(
      `readerVersion${version}`,
      `${location} requires Delta reader version ${version}; this reader supports versions up to ${MAX_READER_VERSION}.`,
      { details: { minReaderVersion: version } },
    );
  }
  if (version < 3) return;
  for (const feature of protocol.readerFeatures ?? []) {
    if (!SUPPORTED_READER_FEATURES.has(feature)) {
      throw new UnsupportedFeatureError(
        feature,
        `${location} uses the Delta reader feature "${feature}", which this reader does not support yet.`,
      );
    }
  }
}

/** True when the protocol enables `feature` (a table feature, or implied by a legacy reader version). */
export function hasReaderFeature(protocol: ProtocolAction, feature: string): boolean {
  if (protocol.minReaderVersion >= 3) return (protocol.readerFeatures ?? []).includes(feature);
  return feature === "columnMapping" && protocol.minReaderVersion === 2;
}
