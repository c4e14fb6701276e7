import { randomUUID } from "node:crypto";
import { AlreadyExistsError, InvalidArgumentError } from "@mlfusion/core";
import { type RecordBatch, type Schema, Table } from "apache-arrow";
import { decodeActionPath } from "../log/action-path.js";
import type { Action, AddAction, MetadataAction, ProtocolAction, RemoveAction } from "../log/actions.js";
import { assertWritable, minimumProtocol, upgradedProtocol } from "../protocol/writer-features.js";
import { fromArrowSchema, toArrowSchema } from "../schema/arrow-schema.js";
import { type StructType, serializeSchema, typeToString } from "../schema/delta-schema.js";
import { loadSnapshot, type Snapshot } from "../snapshot/snapshot.js";
import type { ObjectStore } from "../storage/object-store.js";
import { commitTransaction } from "../transaction/commit.js";
import type { IsolationLevel, TransactionFootprint } from "../transaction/conflict-checker.js";
import { maybeCheckpoint } from "../transaction/post-commit.js";
import { tableExists } from "../transaction/table-exists.js";
import { createDataFileWriter, DEFAULT_TARGET_FILE_SIZE } from "./data-file-writer.js";
import { castBatchToPhysical } from "./physical-cast.js";
import { toRemove } from "./remove-action.js";
import { compileReplaceWhere } from "./replace-where.js";
import { resolveWriteSchema, type SchemaMode } from "./schema-enforcement.js";
import { validateConfiguration } from "./table-configuration.js";

/** Delta's SaveMode: what a write does when the table already exists. */
export type SaveMode = "append" | "overwrite" | "error" | "ignore";

/** Options of {@link writeDeltaTable}. */
export interface WriteDeltaTableOptions {
  mode: SaveMode;
  /** Partition columns of a new table (or of a table whose schema is overwritten). */
  partitionBy?: readonly string[];
  /** replaceWhere: with mode "overwrite", replace only the rows matching this predicate (SQL-like expression). */
  predicate?: string;
  /** "merge" adds new input columns (nullable); "overwrite" (with mode "overwrite") replaces the schema. */
  schemaMode?: SchemaMode;
  name?: string;
  description?: string;
  configuration?: Record<string, string>;
  /** Idempotent writes: skipped when the table already holds this (or a later) version for appId. */
  appTransaction?: { appId: string; version: number };
  /** Approximate Arrow bytes per data file before a new file is started (default 128 MiB). */
  targetFileSize?: number;
  signal?: AbortSignal;
  /** Extra commitInfo entries (e.g. the user or the dataset). */
  commitInfo?: Record<string, unknown>;
}

/** What a write committed. */
export interface WriteDeltaTableResult {
  /** The committed version (or the table's version when the write was skipped). */
  version: number;
  numFiles: number;
  numRows: number;
  bytes: number;
  /** True when nothing was written: mode "ignore" on an existing table, or an app transaction already applied. */
  skipped?: boolean;
  /** Set when the commit succeeded but writing its checkpoint failed (the table is fine; the next one retries). */
  checkpointError?: Error;
}

/** Input data: a stream of batches (never buffered whole), an Arrow Table, or batches in memory. */
export type WriteInput = AsyncIterable<RecordBatch> | Table | readonly RecordBatch[];

/**
 * Writes Arrow data to a Delta table: creates it, appends, overwrites (all of it or, with `predicate`, the
 * matching rows), and commits with optimistic concurrency. Batches are streamed into Parquet files of bounded
 * size as they arrive; nothing is committed if the input fails or the signal aborts.
 *
 * @example
 * const { version } = await writeDeltaTable(createLocalObjectStore("/data/t"), batches, { mode: "append" });
 */
export async function writeDeltaTable(
  store: ObjectStore,
  data: WriteInput,
  options: WriteDeltaTableOptions,
): Promise<WriteDeltaTableResult> {
  const { mode, signal } = options;
  validateOptions(options);
  signal?.throwIfAborted();
  const snapshot = (await tableExists(store, signal))
    ? await loadSnapshot(store, signal === undefined ? {} : { signal })
    : undefined;
  const skipped = (version: number): WriteDeltaTableResult => ({
    version,
    numFiles: 0,
    numRows: 0,
    bytes: 0,
    skipped: true,
  });
  if (snapshot !== undefined) {
    if (mode === "error") {
      throw new AlreadyExistsError(
        `A Delta table already exists at ${store.location} (version ${snapshot.version}); use mode append or overwrite.`,
      );
    }
    if (mode === "ignore") return skipped(snapshot.version);
    assertWritable(snapshot.protocol, snapshot.metadata, snapshot.schema, store.location);
    const app = options.appTransaction;
    const applied = app === undefined ? undefined : snapshot.txns.get(app.appId);
    if (app !== undefined && applied !== undefined && applied.version >= app.version) return skipped(snapshot.version);
    if (mode === "overwrite" && snapshot.metadata.configuration["delta.appendOnly"] === "true") {
      throw new InvalidArgumentError(
        `The Delta table at ${store.location} is append-only (delta.appendOnly=true); only appends are allowed.`,
      );
    }
  }

  const { schema: inputSchema, batches } = await openInput(data, snapshot);
  const plan = planTable(snapshot, fromArrowSchema(inputSchema), options, store.location);
  const physical = toArrowSchema(plan.schema, { applyArrowTypeHints: false });
  const fileSchema = toArrowSchema(
    { type: "struct", fields: plan.schema.fields.filter((f) => !plan.partitionColumns.includes(f.name)) },
    { applyArrowTypeHints: false },
  );
  const replaceWhere =
    mode === "overwrite" && options.predicate !== undefined && snapshot !== undefined
      ? compileReplaceWhere(options.predicate, plan.schema, plan.partitionColumns)
      : undefined;
  const writer = createDataFileWriter(store, {
    schema: plan.schema,
    fileSchema,
    partitionColumns: plan.partitionColumns,
    targetFileSize: options.targetFileSize ?? DEFAULT_TARGET_FILE_SIZE,
    ...(signal === undefined ? {} : { signal }),
  });
  let numRows = 0;
  let adds: AddAction[];
  let rewritten: { removes: RemoveAction[]; readFiles: Set<string> } = { removes: [], readFiles: new Set() };
  try {
    for await (const batch of batches) {
      signal?.throwIfAborted();
      const cast = castBatchToPhysical(batch, physical);
      replaceWhere?.assertAllMatch(cast);
      await writer.write(cast);
      numRows += batch.numRows;
    }
    if (replaceWhere !== undefined && snapshot !== undefined) {
      rewritten = await replaceWhere.rewriteMatchingFiles(store, snapshot, writer, fileSchema, signal);
    }
    signal?.throwIfAborted();
    adds = await writer.close();
  } catch (error) {
    await writer.abort(error);
    throw error;
  }

  const now = Date.now();
  const removes =
    mode !== "overwrite" || snapshot === undefined
      ? []
      : replaceWhere !== undefined
        ? rewritten.removes
        : snapshot.files.map((f) => toRemove(f, now));
  const actions: Action[] = [];
  if (plan.protocol !== undefined) actions.push({ protocol: plan.protocol });
  if (plan.metadata !== undefined) actions.push({ metaData: plan.metadata });
  if (options.appTransaction !== undefined) {
    actions.push({
      txn: { appId: options.appTransaction.appId, version: options.appTransaction.version, lastUpdated: now },
    });
  }
  for (const remove of removes) actions.push({ remove });
  for (const add of adds) actions.push({ add });

  const bytes = adds.reduce((sum, a) => sum + a.size, 0);
  const readFiles =
    mode === "overwrite" && snapshot !== undefined
      ? replaceWhere !== undefined
        ? rewritten.readFiles
        : new Set(snapshot.files.map((f) => decodeActionPath(f.path)))
      : new Set<string>();
  const footprint: TransactionFootprint = {
    readPredicate:
      mode !== "overwrite" || snapshot === undefined
        ? "none"
        : replaceWhere !== undefined
          ? replaceWhere.mightMatch
          : "all",
    readFiles,
    removedFiles: new Set(removes.map((r) => decodeActionPath(r.path))),
    changesMetadata: plan.metadata !== undefined,
    appIds: new Set(options.appTransaction === undefined ? [] : [options.appTransaction.appId]),
    isolationLevel: isolationLevel(plan.configuration),
  };
  const operationParameters: Record<string, unknown> = {
    mode: { append: "Append", overwrite: "Overwrite", error: "ErrorIfExists", ignore: "Ignore" }[mode],
    partitionBy: JSON.stringify(plan.partitionColumns),
  };
  if (options.predicate !== undefined) operationParameters.predicate = options.predicate;
  const version = await commitTransaction(
    store,
    {
      readVersion: snapshot?.version ?? -1,
      actions,
      operation: snapshot === undefined ? "CREATE TABLE" : "WRITE",
      operationParameters,
      operationMetrics: {
        numFiles: String(adds.length),
        numOutputRows: String(numRows),
        numOutputBytes: String(bytes),
        numAddedFiles: String(adds.length),
        numRemovedFiles: String(removes.length),
      },
      ...(options.commitInfo === undefined ? {} : { commitInfo: options.commitInfo }),
      footprint,
    },
    signal === undefined ? {} : { signal },
  );
  const result: WriteDeltaTableResult = { version, numFiles: adds.length, numRows, bytes };
  const checkpointError = await maybeCheckpoint(store, version, plan.configuration);
  if (checkpointError !== undefined) result.checkpointError = checkpointError;
  return result;
}

interface TablePlan {
  schema: StructType;
  partitionColumns: string[];
  configuration: Record<string, string>;
  /** A protocol action to commit (new table or upgrade). */
  protocol?: ProtocolAction;
  /** A metaData action to commit (new table, schema or property change). */
  metadata?: MetadataAction;
}

function planTable(
  snapshot: Snapshot | undefined,
  input: StructType,
  options: WriteDeltaTableOptions,
  location: string,
): TablePlan {
  const configuration = { ...(snapshot?.metadata.configuration ?? {}), ...(options.configuration ?? {}) };
  validateConfiguration(options.configuration ?? {});
  if (snapshot === undefined) {
    const partitionColumns = [...(options.partitionBy ?? [])];
    validatePartitionColumns(input, partitionColumns);
    const schema = input;
    return {
      schema,
      partitionColumns,
      configuration,
      protocol: minimumProtocol(schema),
      metadata: {
        id: randomUUID(),
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.description === undefined ? {} : { description: options.description }),
        format: { provider: "parquet", options: {} },
        schemaString: serializeSchema(schema),
        partitionColumns,
        configuration,
        createdTime: Date.now(),
      },
    };
  }
  const replacesSchema = options.schemaMode === "overwrite";
  const current = [...snapshot.partitionColumns];
  const requested = options.partitionBy === undefined ? current : [...options.partitionBy];
  if (requested.join("\u0000") !== current.join("\u0000") && !replacesSchema) {
    throw new InvalidArgumentError(
      `The table at ${location} is partitioned by [${current.join(", ")}], not [${requested.join(", ")}]; omit partitionBy or overwrite with schemaMode overwrite.`,
    );
  }
  const { schema, changed } = resolveWriteSchema(snapshot.schema, input, options.schemaMode);
  validatePartitionColumns(schema, requested);
  const propertiesChanged =
    (options.name !== undefined && options.name !== snapshot.metadata.name) ||
    (options.description !== undefined && options.description !== snapshot.metadata.description) ||
    Object.entries(options.configuration ?? {}).some(([k, v]) => snapshot.metadata.configuration[k] !== v);
  const partitionsChanged = requested.join("\u0000") !== current.join("\u0000");
  const plan: TablePlan = { schema, partitionColumns: requested, configuration };
  if (changed || propertiesChanged || partitionsChanged) {
    plan.metadata = {
      ...snapshot.metadata,
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.description === undefined ? {} : { description: options.description }),
      schemaString: serializeSchema(schema),
      partitionColumns: requested,
      configuration,
    };
    const protocol = upgradedProtocol(snapshot.protocol, schema);
    if (protocol !== undefined) plan.protocol = protocol;
  }
  return plan;
}

function validateOptions(options: WriteDeltaTableOptions): void {
  if (!["append", "overwrite", "error", "ignore"].includes(options.mode)) {
    throw new InvalidArgumentError(
      `Unknown write mode ${JSON.stringify(options.mode)}; use append, overwrite, error or ignore.`,
    );
  }
  if (options.predicate !== undefined && options.mode !== "overwrite") {
    throw new InvalidArgumentError("A replaceWhere predicate needs mode overwrite.");
  }
  if (options.schemaMode === "overwrite" && options.mode !== "overwrite") {
    throw new InvalidArgumentError("schemaMode overwrite needs mode overwrite; use schemaMode merge to add columns.");
  }
  if (options.schemaMode === "overwrite" && options.predicate !== undefined) {
    throw new InvalidArgumentError("schemaMode overwrite cannot be combined with a replaceWhere predicate.");
  }
  if (options.targetFileSize !== undefined && !(options.targetFileSize > 0)) {
    throw new InvalidArgumentError("targetFileSize must be a positive number of bytes.");
  }
}

function validatePartitionColumns(schema: StructType, partitionColumns: readonly string[]): void {
  const problems: string[] = [];
  if (new Set(partitionColumns).size !== partitionColumns.length) problems.push("a column is listed twice");
  for (const name of partitionColumns) {
    const field = schema.fields.find((f) => f.name === name);
    if (field === undefined) problems.push(`${name} is not a column`);
    else if (typeof field.type !== "string" || field.type === "binary") {
      problems.push(`${name} has type ${typeToString(field.type)}, which cannot be a partition column`);
    }
  }
  if (partitionColumns.length > 0 && partitionColumns.length === schema.fields.length) {
    problems.push("at least one column must not be a partition column");
  }
  if (problems.length > 0) {
    throw new InvalidArgumentError(`Invalid partitionBy [${partitionColumns.join(", ")}]: ${problems.join("; ")}.`);
  }
}

function isolationLevel(configuration: Record<string, string>): IsolationLevel {
  return configuration["delta.isolationLevel"] === "Serializable" ? "Serializable" : "WriteSerializable";
}

/** The input's schema and its batches, read lazily (only the first batch is awaited up front). */
async function openInput(
  data: WriteInput,
  snapshot: Snapshot | undefined,
): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch> }> {
  if (data instanceof Table) return { schema: data.schema, batches: fromArray(data.batches) };
  if (Array.isArray(data)) {
    const first: RecordBatch | undefined = data[0];
    return { schema: first?.schema ?? schemaOf(snapshot), batches: fromArray(data) };
  }
  if (!(Symbol.asyncIterator in data)) throw new InvalidArgumentError("Write input must be batches or a Table.");
  const iterator = data[Symbol.asyncIterator]();
  const first = await iterator.next();
  const schema = first.done === true ? schemaOf(snapshot) : first.value.schema;
  async function* rest(): AsyncGenerator<RecordBatch> {
    if (first.done === true) return;
    try {
      yield first.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return;
        yield next.value;
      }
    } finally {
      // Release the source (a network stream, a file) when the write stops early.
      await iterator.return?.();
    }
  }
  return { schema, batches: rest() };
}

async function* fromArray(batches: readonly RecordBatch[]): AsyncGenerator<RecordBatch> {
  yield* batches;
}

function schemaOf(snapshot: Snapshot | undefined): Schema {
  if (snapshot === undefined) {
    throw new InvalidArgumentError("The input has no batches and no schema; a new table needs at least a schema.");
  }
  return toArrowSchema(snapshot.schema);
}
