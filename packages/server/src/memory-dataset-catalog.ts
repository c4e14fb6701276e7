/**
 * Datasets held in memory as lists of RecordBatches, with every version kept. It exists for transport
 * benchmarks (the same role as pyarrow's in-memory FlightServerBase) and is never the default.
 */
import { randomUUID } from "node:crypto";
import { AlreadyExistsError, NotFoundError, UnsupportedFeatureError } from "@mlfusion/core";
import { makeData, RecordBatch, type Schema, Struct } from "apache-arrow";
import { type AssetKey, formatAssetKey } from "./asset-key.js";
import {
  checkAppendSchema,
  type DatasetCatalog,
  type DatasetInfo,
  type DatasetMetadata,
  type HistoryEntry,
  type MetadataUpdate,
  type ReadOptions,
  type WriteOptions,
  type WriteResult,
} from "./dataset-catalog.js";

interface MemoryVersion {
  schema: Schema;
  batches: RecordBatch[];
  timestamp: number;
  operation: string;
  rowsAdded: number;
}

interface MemoryDataset {
  key: AssetKey;
  versions: MemoryVersion[];
  metadata: DatasetMetadata;
}

/**
 * Creates an in-memory catalog (benchmarks only: nothing is persisted).
 *
 * @example
 * const server = await startFlightServer({ catalog: createMemoryDatasetCatalog(), port: 0 });
 */
export function createMemoryDatasetCatalog(): DatasetCatalog {
  return new MemoryDatasetCatalog();
}

class MemoryDatasetCatalog implements DatasetCatalog {
  private readonly datasets = new Map<string, MemoryDataset>();

  async list(prefix: AssetKey): Promise<AssetKey[]> {
    return [...this.datasets.values()]
      .map((d) => d.key)
      .filter((key) => prefix.every((segment, i) => key[i] === segment))
      .sort((a, b) => formatAssetKey(a).localeCompare(formatAssetKey(b)));
  }

  private get(key: AssetKey): MemoryDataset {
    const dataset = this.datasets.get(formatAssetKey(key));
    if (dataset === undefined) {
      throw new NotFoundError(`Dataset ${formatAssetKey(key)} does not exist; list datasets with ListFlights.`);
    }
    return dataset;
  }

  private version(dataset: MemoryDataset, options: { version?: number; timestamp?: string }): [number, MemoryVersion] {
    let index = dataset.versions.length - 1;
    if (options.version !== undefined) index = options.version;
    else if (options.timestamp !== undefined) {
      const at = Date.parse(options.timestamp);
      index = dataset.versions.findLastIndex((v) => v.timestamp <= at);
    }
    const version = dataset.versions[index];
    if (version === undefined) {
      throw new NotFoundError(`Dataset ${formatAssetKey(dataset.key)} has no such version; see its history.`);
    }
    return [index, version];
  }

  async info(key: AssetKey, options: { version?: number; timestamp?: string } = {}): Promise<DatasetInfo> {
    const dataset = this.get(key);
    const [index, version] = this.version(dataset, options);
    let totalRecords = 0;
    let totalBytes = 0;
    for (const batch of version.batches) {
      totalRecords += batch.numRows;
      totalBytes += batch.data.byteLength;
    }
    return {
      key: dataset.key,
      version: index,
      schema: version.schema,
      partitionColumns: [],
      totalRecords,
      totalBytes,
      metadata: dataset.metadata,
    };
  }

  async read(key: AssetKey, options: ReadOptions): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch> }> {
    if (options.filter !== undefined && options.filter !== "") {
      throw new UnsupportedFeatureError("filter", "The in-memory catalog cannot filter rows; read without a filter.");
    }
    const [, version] = this.version(this.get(key), options);
    const columns = options.columns;
    if (columns === undefined || columns.length === 0) {
      return { schema: version.schema, batches: iterate(version.batches) };
    }
    const missing = columns.filter((c) => version.schema.fields.every((f) => f.name !== c));
    if (missing.length > 0) {
      throw new NotFoundError(`Columns ${missing.join(", ")} do not exist in ${formatAssetKey(key)}.`);
    }
    return {
      schema: version.schema.select([...columns]),
      batches: iterate(version.batches.map((b) => selectColumns(b, columns))),
    };
  }

  async write(
    key: AssetKey,
    schema: Schema,
    batches: AsyncIterable<RecordBatch>,
    options: WriteOptions,
  ): Promise<WriteResult> {
    if (options.predicate !== undefined) {
      throw new UnsupportedFeatureError("predicate", "The in-memory catalog cannot replace by predicate.");
    }
    const name = formatAssetKey(key);
    const existing = this.datasets.get(name);
    if (existing !== undefined && options.mode === "error") {
      throw new AlreadyExistsError(`Dataset ${name} already exists; write with mode append or overwrite.`);
    }
    const latest = existing?.versions[existing.versions.length - 1];
    if (latest !== undefined && options.mode === "append") checkAppendSchema(latest.schema, schema);
    const received: RecordBatch[] = [];
    let numRows = 0;
    let bytes = 0;
    for await (const batch of batches) {
      options.signal?.throwIfAborted();
      received.push(batch);
      numRows += batch.numRows;
      bytes += batch.data.byteLength;
    }
    if (existing !== undefined && options.mode === "ignore") {
      return { version: existing.versions.length - 1, numFiles: 0, numRows: 0, bytes: 0 };
    }
    const base = options.mode === "append" && latest !== undefined ? latest.batches : [];
    const version: MemoryVersion = {
      schema: options.mode === "append" && latest !== undefined ? latest.schema : schema,
      batches: [...base, ...received],
      timestamp: Date.now(),
      operation: existing === undefined ? "CREATE TABLE" : "WRITE",
      rowsAdded: numRows,
    };
    const dataset = existing ?? {
      key: [...key],
      versions: [],
      metadata: { id: randomUUID(), name: key[key.length - 1] ?? "", description: "", tags: {}, properties: {} },
    };
    dataset.versions.push(version);
    this.datasets.set(name, dataset);
    return { version: dataset.versions.length - 1, numFiles: received.length, numRows, bytes };
  }

  async drop(key: AssetKey): Promise<void> {
    this.get(key);
    this.datasets.delete(formatAssetKey(key));
  }

  async setMetadata(key: AssetKey, update: MetadataUpdate): Promise<DatasetMetadata> {
    const dataset = this.get(key);
    dataset.metadata = {
      ...dataset.metadata,
      ...(update.name === undefined ? {} : { name: update.name }),
      ...(update.description === undefined ? {} : { description: update.description }),
      tags: { ...dataset.metadata.tags, ...update.tags },
      properties: { ...dataset.metadata.properties, ...update.properties },
    };
    return dataset.metadata;
  }

  async history(key: AssetKey, limit?: number): Promise<HistoryEntry[]> {
    const entries = this.get(key)
      .versions.map((v, version) => ({
        version,
        timestamp: v.timestamp,
        operation: v.operation,
        rowsAdded: v.rowsAdded,
      }))
      .reverse();
    return limit === undefined ? entries : entries.slice(0, limit);
  }

  async register(): Promise<DatasetInfo> {
    throw new UnsupportedFeatureError("register", "The in-memory catalog cannot register Delta tables.");
  }

  async vacuum(key: AssetKey): Promise<{ files: string[] }> {
    this.get(key);
    return { files: [] };
  }
}

/** The named columns of a batch (apache-arrow 21's RecordBatch.select drops the column data). */
function selectColumns(batch: RecordBatch, columns: readonly string[]): RecordBatch {
  const schema = batch.schema.select([...columns]);
  const children = columns.map((name) => batch.data.children[batch.schema.fields.findIndex((f) => f.name === name)]);
  const data = makeData({
    type: new Struct(schema.fields),
    length: batch.numRows,
    nullCount: 0,
    children: children.flatMap((child) => (child === undefined ? [] : [child])),
  });
  return new RecordBatch(schema, data);
}

async function* iterate(batches: readonly RecordBatch[]): AsyncGenerator<RecordBatch> {
  yield* batches;
}
