import { UnsupportedFeatureError } from "@mlfusion/core";
import type { MetadataAction, ProtocolAction } from "../log/actions.js";
import type { DataType, StructType } from "../schema/delta-schema.js";

// The writer side of PROTOCOL.md "Protocol Evolution" and "Table Features": which protocol a new table gets,
// and which existing tables this writer may change.

/** Writer features this writer honours whenever they are enabled. */
const SUPPORTED_WRITER_FEATURES: ReadonlySet<string> = new Set([
  "appendOnly", // enforced: overwrites and replaceWhere are refused on append-only tables
  "timestampNtz",
  "domainMetadata", // domain metadata is carried through untouched
  "vacuumProtocolCheck", // vacuum checks the protocol before deleting anything
  "changeDataFeed", // whole-file adds and removes need no cdc files (PROTOCOL.md "Change Data Files")
  "deletionVectors", // files are only ever removed whole; a remove repeats the add's deletion vector
]);

/** Writer features this writer honours only while the table does not use them. */
const UNUSED_ONLY: Readonly<Record<string, (metadata: MetadataAction, schema: StructType) => boolean>> = {
  invariants: (_m, schema) => schemaUses(schema, "delta.invariants"),
  checkConstraints: (m) => Object.keys(m.configuration).some((k) => k.startsWith("delta.constraints.")),
  generatedColumns: (_m, schema) => schemaUses(schema, "delta.generationExpression"),
  identityColumns: (_m, schema) => schemaUses(schema, "delta.identity.start"),
  columnMapping: (m) => (m.configuration["delta.columnMapping.mode"] ?? "none") !== "none",
};

/** The legacy writer versions and the features they imply (PROTOCOL.md "Table Features"). */
const LEGACY_WRITER_FEATURES: readonly [number, string][] = [
  [2, "appendOnly"],
  [2, "invariants"],
  [3, "checkConstraints"],
  [4, "changeDataFeed"],
  [4, "generatedColumns"],
  [5, "columnMapping"],
  [6, "identityColumns"],
];

/** The writer features a protocol enables, explicit (writer version 7) or implied by a legacy version. */
export function writerFeatures(protocol: ProtocolAction): string[] {
  if (protocol.minWriterVersion >= 7) return [...(protocol.writerFeatures ?? [])];
  return LEGACY_WRITER_FEATURES.filter(([v]) => protocol.minWriterVersion >= v).map(([, f]) => f);
}

/**
 * Throws UnsupportedFeatureError naming every writer feature of the table that this writer cannot honour,
 * so a write never silently breaks a feature's invariants.
 *
 * @example
 * assertWritable(snapshot.protocol, snapshot.metadata, snapshot.schema, "/data/t");
 */
export function assertWritable(
  protocol: ProtocolAction,
  metadata: MetadataAction,
  schema: StructType,
  location: string,
): void {
  if (protocol.minWriterVersion > 7) {
    throw new UnsupportedFeatureError(
      `writerVersion${protocol.minWriterVersion}`,
      `The Delta table at ${location} requires writer version ${protocol.minWriterVersion}; this writer supports up to 7.`,
    );
  }
  const unsupported = writerFeatures(protocol).filter((feature) => {
    if (SUPPORTED_WRITER_FEATURES.has(feature)) return false;
    const used = UNUSED_ONLY[feature];
    return used === undefined || used(metadata, schema);
  });
  const first = unsupported[0];
  if (first !== undefined) {
    throw new UnsupportedFeatureError(
      first,
      `The Delta table at ${location} uses the writer feature${unsupported.length > 1 ? "s" : ""} ${unsupported.join(", ")}, which this writer does not implement; write it with Spark or delta-rs.`,
      { details: { features: unsupported } },
    );
  }
}

/**
 * The lowest protocol a new table needs (PROTOCOL.md "Table Features"): (1, 2) normally; (3, 7) with the
 * timestampNtz feature when a timestamp_ntz column exists.
 */
export function minimumProtocol(schema: StructType): ProtocolAction {
  if (schemaHasType(schema, "timestamp_ntz")) {
    return {
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ["timestampNtz"],
      writerFeatures: ["timestampNtz"],
    };
  }
  return { minReaderVersion: 1, minWriterVersion: 2 };
}

/**
 * The protocol after a schema change on an existing table: unchanged unless the new schema needs a feature the
 * table lacks (a timestamp_ntz column), in which case the table is upgraded to table features.
 */
export function upgradedProtocol(current: ProtocolAction, schema: StructType): ProtocolAction | undefined {
  if (!schemaHasType(schema, "timestamp_ntz")) return undefined;
  const readerFeatures = current.minReaderVersion >= 3 ? [...(current.readerFeatures ?? [])] : [];
  if (current.minReaderVersion >= 3 && readerFeatures.includes("timestampNtz")) return undefined;
  const writer = writerFeatures(current);
  // A legacy reader version 2 implies columnMapping; keep it when moving to table features.
  if (current.minReaderVersion === 2) readerFeatures.push("columnMapping");
  return {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: [...new Set([...readerFeatures, "timestampNtz"])],
    writerFeatures: [...new Set([...writer, "timestampNtz"])],
  };
}

function schemaHasType(schema: StructType, name: string): boolean {
  const visit = (type: DataType): boolean => {
    if (typeof type === "string") return type === name;
    if (type.type === "struct") return type.fields.some((f) => visit(f.type));
    if (type.type === "array") return visit(type.elementType);
    return visit(type.keyType) || visit(type.valueType);
  };
  return visit(schema);
}

function schemaUses(schema: StructType, metadataKey: string): boolean {
  const visit = (type: DataType): boolean => {
    if (typeof type === "string") return false;
    if (type.type === "struct") return type.fields.some((f) => metadataKey in f.metadata || visit(f.type));
    if (type.type === "array") return visit(type.elementType);
    return visit(type.keyType) || visit(type.valueType);
  };
  return visit(schema);
}
