import {
  Bool,
  type DataType,
  Field,
  Int32,
  Int64,
  List,
  Map_,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import type { AddAction, DeletionVectorDescriptor, RemoveAction } from "../log/actions.js";
import { LOG_FOLDER, readLastCheckpoint, versionPrefix } from "../log/log-segment.js";
import { writeParquetBytes } from "../parquet/parquet-writer.js";
import { loadSnapshot, type Snapshot } from "../snapshot/snapshot.js";
import type { ObjectStore } from "../storage/object-store.js";
import { parseInterval } from "../write/table-configuration.js";

// Classic single-file checkpoints (PROTOCOL.md "Checkpoints", "Checkpoint Schema") with stats as JSON strings,
// readable by Spark, delta-rs and this library, plus the `_last_checkpoint` hint.

/** Default `delta.deletedFileRetentionDuration`: tombstones younger than this stay in checkpoints. */
const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 86_400_000;

const stringMap = (): Map_ =>
  new Map_(
    new Field(
      "key_value",
      new Struct([new Field("key", new Utf8(), false), new Field("value", new Utf8(), true)]),
      false,
    ),
  );
const stringList = (): List => new List(new Field("element", new Utf8(), true));
const struct = (fields: [string, DataType][]): Struct => new Struct(fields.map(([n, t]) => new Field(n, t, true)));

const DELETION_VECTOR = (): Struct =>
  struct([
    ["storageType", new Utf8()],
    ["pathOrInlineDv", new Utf8()],
    ["offset", new Int32()],
    ["sizeInBytes", new Int32()],
    ["cardinality", new Int64()],
  ]);

/** The checkpoint schema: one nullable struct column per action kind. */
function checkpointSchema(withDomains: boolean): Schema {
  const columns: [string, Struct][] = [
    [
      "txn",
      struct([
        ["appId", new Utf8()],
        ["version", new Int64()],
        ["lastUpdated", new Int64()],
      ]),
    ],
    [
      "add",
      struct([
        ["path", new Utf8()],
        ["partitionValues", stringMap()],
        ["size", new Int64()],
        ["modificationTime", new Int64()],
        ["dataChange", new Bool()],
        ["stats", new Utf8()],
        ["tags", stringMap()],
        ["deletionVector", DELETION_VECTOR()],
        ["baseRowId", new Int64()],
        ["defaultRowCommitVersion", new Int64()],
        ["clusteringProvider", new Utf8()],
      ]),
    ],
    [
      "remove",
      struct([
        ["path", new Utf8()],
        ["deletionTimestamp", new Int64()],
        ["dataChange", new Bool()],
        ["extendedFileMetadata", new Bool()],
        ["partitionValues", stringMap()],
        ["size", new Int64()],
        ["tags", stringMap()],
        ["deletionVector", DELETION_VECTOR()],
        ["baseRowId", new Int64()],
        ["defaultRowCommitVersion", new Int64()],
      ]),
    ],
    [
      "metaData",
      struct([
        ["id", new Utf8()],
        ["name", new Utf8()],
        ["description", new Utf8()],
        [
          "format",
          struct([
            ["provider", new Utf8()],
            ["options", stringMap()],
          ]),
        ],
        ["schemaString", new Utf8()],
        ["partitionColumns", stringList()],
        ["configuration", stringMap()],
        ["createdTime", new Int64()],
      ]),
    ],
    [
      "protocol",
      struct([
        ["minReaderVersion", new Int32()],
        ["minWriterVersion", new Int32()],
        ["readerFeatures", stringList()],
        ["writerFeatures", stringList()],
      ]),
    ],
  ];
  if (withDomains) {
    columns.push([
      "domainMetadata",
      struct([
        ["domain", new Utf8()],
        ["configuration", new Utf8()],
        ["removed", new Bool()],
      ]),
    ]);
  }
  return new Schema(columns.map(([name, type]) => new Field(name, type, true)));
}

type Row = Record<string, unknown>;

/**
 * Writes the classic checkpoint of `version` and then `_last_checkpoint`. Both go through the store's atomic
 * put, so readers never see a partial checkpoint.
 *
 * @example
 * await writeCheckpoint(store, 10);
 */
export async function writeCheckpoint(store: ObjectStore, version: number, signal?: AbortSignal): Promise<void> {
  const snapshot = await loadSnapshot(store, signal === undefined ? { version } : { version, signal });
  const { rows, numAdds, schema } = checkpointRows(snapshot, Date.now());
  const children = schema.fields.map((field) =>
    vectorFromArray(
      rows.map((r) => r[field.name] ?? null),
      field.type,
    ),
  );
  const data = makeData({
    type: new Struct(schema.fields),
    length: rows.length,
    nullCount: 0,
    children: children.map((v) => v.data[0] ?? makeData({ type: new Int32(), length: 0 })),
  });
  const bytes = writeParquetBytes([new RecordBatch(schema, data)]);
  const prefix = `${LOG_FOLDER}${versionPrefix(version)}`;
  await store.put(`${prefix}.checkpoint.parquet`, bytes, signal);
  // A slower writer must not move the hint back to an older checkpoint (readers would still be correct, only
  // slower); the check and the put are not atomic, and readers fall back to listing when the hint is stale.
  const current = await readLastCheckpoint(store, signal);
  if (current !== undefined && current.version >= version) return;
  const hint = { version, size: rows.length, sizeInBytes: bytes.byteLength, numOfAddFiles: numAdds };
  await store.put(`${LOG_FOLDER}_last_checkpoint`, new TextEncoder().encode(JSON.stringify(hint)), signal);
}

function checkpointRows(snapshot: Snapshot, now: number): { rows: Row[]; numAdds: number; schema: Schema } {
  const retention =
    parseInterval(snapshot.metadata.configuration["delta.deletedFileRetentionDuration"]) ??
    DEFAULT_TOMBSTONE_RETENTION_MS;
  const p = snapshot.protocol;
  const m = snapshot.metadata;
  const rows: Row[] = [
    {
      protocol: {
        minReaderVersion: p.minReaderVersion,
        minWriterVersion: p.minWriterVersion,
        readerFeatures: p.minReaderVersion >= 3 ? (p.readerFeatures ?? []) : null,
        writerFeatures: p.minWriterVersion >= 7 ? (p.writerFeatures ?? []) : null,
      },
    },
    {
      metaData: {
        id: m.id,
        name: m.name ?? null,
        description: m.description ?? null,
        format: { provider: m.format.provider, options: new Map(Object.entries(m.format.options)) },
        schemaString: m.schemaString,
        partitionColumns: m.partitionColumns,
        configuration: new Map(Object.entries(m.configuration)),
        createdTime: m.createdTime == null ? null : BigInt(m.createdTime),
      },
    },
  ];
  for (const txn of snapshot.txns.values()) {
    rows.push({
      txn: {
        appId: txn.appId,
        version: BigInt(txn.version),
        lastUpdated: txn.lastUpdated == null ? null : BigInt(txn.lastUpdated),
      },
    });
  }
  for (const add of snapshot.files) rows.push({ add: addRow(add) });
  for (const remove of snapshot.tombstones) {
    if ((remove.deletionTimestamp ?? 0) < now - retention) continue; // expired: vacuum may delete the file
    rows.push({ remove: removeRow(remove) });
  }
  for (const d of snapshot.domainMetadata.values()) {
    rows.push({ domainMetadata: { domain: d.domain, configuration: d.configuration, removed: d.removed } });
  }
  return { rows, numAdds: snapshot.files.length, schema: checkpointSchema(snapshot.domainMetadata.size > 0) };
}

function addRow(a: AddAction): Row {
  return {
    path: a.path,
    partitionValues: new Map(Object.entries(a.partitionValues)),
    size: BigInt(a.size),
    modificationTime: BigInt(a.modificationTime),
    dataChange: a.dataChange,
    stats: a.stats ?? null,
    tags: a.tags == null ? null : new Map(Object.entries(a.tags)),
    deletionVector: dvRow(a.deletionVector),
    baseRowId: a.baseRowId == null ? null : BigInt(a.baseRowId),
    defaultRowCommitVersion: a.defaultRowCommitVersion == null ? null : BigInt(a.defaultRowCommitVersion),
    clusteringProvider: a.clusteringProvider ?? null,
  };
}

function removeRow(r: RemoveAction): Row {
  return {
    path: r.path,
    deletionTimestamp: r.deletionTimestamp == null ? null : BigInt(r.deletionTimestamp),
    dataChange: r.dataChange,
    extendedFileMetadata: r.extendedFileMetadata ?? null,
    partitionValues: r.partitionValues == null ? null : new Map(Object.entries(r.partitionValues)),
    size: r.size == null ? null : BigInt(r.size),
    tags: r.tags == null ? null : new Map(Object.entries(r.tags)),
    deletionVector: dvRow(r.deletionVector),
    baseRowId: r.baseRowId == null ? null : BigInt(r.baseRowId),
    defaultRowCommitVersion: r.defaultRowCommitVersion == null ? null : BigInt(r.defaultRowCommitVersion),
  };
}

function dvRow(dv: DeletionVectorDescriptor | null | undefined): Row | null {
  if (dv == null) return null;
  return {
    storageType: dv.storageType,
    pathOrInlineDv: dv.pathOrInlineDv,
    offset: dv.offset ?? null,
    sizeInBytes: dv.sizeInBytes,
    cardinality: BigInt(dv.cardinality),
  };
}
