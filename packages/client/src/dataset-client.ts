/** DatasetClient: one dataset (asset key) of an ML Fusion server. */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "@mlfusion/core";
import {
  ActionSchema,
  AreaSourceMetadataSchema,
  type AreaSourceReference,
  AreaSourceReferenceSchema,
  CommandExecuteQuerySchema,
  decodeRecordBatches,
  decodeSchema,
  encodeGrpcFrame,
  encodeRecordBatches,
  FlightDescriptor_DescriptorType,
  FlightDescriptorSchema,
  FlightDoGetRequestSchema,
  FlightDoPutRequestSchema,
  FlightInfoSchema,
  SaveMode as ProtoSaveMode,
  PutResultSchema,
  parseFlightData,
  ResultDoPutUpdateSchema,
  ResultSchema,
  SchemaResultSchema,
  SourceCollectionSchema,
  TicketSchema,
} from "@mlfusion/proto";
import { RecordBatch, type Schema, Table, tableFromJSON } from "apache-arrow";
import type { GrpcTransport } from "./grpc-transport.js";
import { SaveMode } from "./save-mode.js";

const SERVICE = "/arrow.flight.protocol.FlightService/";

/** Data `writeInto` accepts. */
export type WriteData =
  | Table
  | AsyncIterable<RecordBatch>
  | Iterable<RecordBatch>
  | ReadonlyArray<Record<string, unknown>>;

/** Options of `writeInto`. */
export interface WriteIntoOptions {
  partitionBy?: readonly string[];
  /** With SaveMode.Overwrite: replace only the rows matching this predicate (replaceWhere). */
  predicate?: string;
  signal?: AbortSignal;
}

/** Options of `load` and `stream`. */
export interface LoadOptions {
  columns?: readonly string[];
  /** Read this table version (time travel). */
  version?: number;
  /** Read the version current at this time (Date or RFC 3339 string). */
  timestamp?: Date | string;
  /** Row filter, e.g. `year = 2024 AND value > 1`. */
  filter?: string;
  signal?: AbortSignal;
}

/** What a write did. */
export interface WriteIntoResult {
  numRows: number;
  bytes: number;
}

/** A dataset's descriptive metadata. */
export interface DatasetMetadata {
  id: string;
  name: string;
  description: string;
  isVersioned: boolean;
  tags: Record<string, string>;
  properties: Record<string, string>;
  totalRecords: number;
  totalBytes: number;
}

/** One commit of a dataset's history. */
export interface DatasetHistoryEntry {
  version: number;
  /** Epoch milliseconds. */
  timestamp: number;
  operation: string;
  rowsAdded?: number;
}

/**
 * Reads and writes one dataset. Get one from `FusionServiceClient.getDatasetClient`.
 *
 * @example
 * const ds = client.getDatasetClient({ name: "new_dataset", areas: ["demo"] });
 * await ds.writeInto([{ a: 1 }, { a: 2 }], SaveMode.Overwrite);
 * const table = await ds.load({ columns: ["a"] });
 */
export class DatasetClient {
  constructor(
    private readonly transport: GrpcTransport,
    /** The asset key: areas followed by the name. */
    readonly assetKey: readonly string[],
  ) {}

  /** The AreaSourceReference (areas + name) naming this dataset in the original protocol. */
  get areaSource(): AreaSourceReference {
    return this.source;
  }

  private get source(): AreaSourceReference {
    return create(AreaSourceReferenceSchema, {
      table: {
        case: "location",
        value: { name: this.assetKey[this.assetKey.length - 1] ?? "", areas: this.assetKey.slice(0, -1) },
      },
    });
  }

  private get key(): string {
    return this.assetKey.join("/");
  }

  /** Writes data; Append by default. Rows given as plain objects are converted with apache-arrow's tableFromJSON. */
  async writeInto(
    data: WriteData,
    mode: SaveMode = SaveMode.Append,
    options: WriteIntoOptions = {},
  ): Promise<WriteIntoResult> {
    const { schema, batches } = await toBatches(data);
    const write: { saveMode: ProtoSaveMode; partitionBy: string[]; predicate?: string } = {
      saveMode:
        mode === SaveMode.Overwrite
          ? ProtoSaveMode.OVERWRITE
          : mode === SaveMode.ErrorIfExists
            ? ProtoSaveMode.ERROR_IF_EXISTS
            : ProtoSaveMode.APPEND,
      partitionBy: [...(options.partitionBy ?? [])],
    };
    if (options.predicate !== undefined) write.predicate = options.predicate;
    const command = create(FlightDoPutRequestSchema, {
      command: { case: "delta", value: { source: this.source, operation: { case: "write", value: write } } },
    });
    const descriptor = create(FlightDescriptorSchema, {
      type: FlightDescriptor_DescriptorType.CMD,
      cmd: toBinary(FlightDoPutRequestSchema, command),
    });
    let numRows = 0;
    let bytes = 0;
    for await (const message of this.transport.call(
      `${SERVICE}DoPut`,
      encodeRecordBatches(schema, batches, { descriptor }),
      options.signal,
    )) {
      const result = fromBinary(PutResultSchema, message);
      if (result.appMetadata.byteLength === 0) continue;
      const stats = fromBinary(ResultDoPutUpdateSchema, result.appMetadata).statistics;
      numRows += Number(stats?.recordCount ?? 0n);
      bytes += Number(stats?.totalByteSize ?? 0n);
    }
    return { numRows, bytes };
  }

  /** Streams the dataset's record batches. */
  async *stream(options: LoadOptions = {}): AsyncGenerator<RecordBatch> {
    const { batches } = await this.read(options);
    yield* batches;
  }

  /** Loads the dataset (or a selection of it) into one Arrow Table. */
  async load(options: LoadOptions = {}): Promise<Table> {
    const { schema, batches } = await this.read(options);
    const all: RecordBatch[] = [];
    for await (const batch of batches) all.push(batch);
    return all.length === 0 ? new Table(schema) : new Table(all);
  }

  /** Starts a read: resolves with the schema once the server answers, then streams the batches. */
  async read(options: LoadOptions = {}): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch> }> {
    const read: { columnNames: string[]; version?: bigint; timestamp: string; predicate: string } = {
      columnNames: [...(options.columns ?? [])],
      timestamp:
        options.timestamp === undefined
          ? ""
          : options.timestamp instanceof Date
            ? options.timestamp.toISOString()
            : options.timestamp,
      predicate: options.filter ?? "",
    };
    if (options.version !== undefined) read.version = BigInt(options.version);
    const request = create(FlightDoGetRequestSchema, {
      command: { case: "delta", value: { source: this.source, operation: { case: "read", value: read } } },
    });
    const ticket = create(TicketSchema, { ticket: toBinary(FlightDoGetRequestSchema, request) });
    const messages = this.transport.call(
      `${SERVICE}DoGet`,
      [[encodeGrpcFrame(toBinary(TicketSchema, ticket))]],
      options.signal,
    );
    async function* frames() {
      for await (const message of messages) yield parseFlightData(message);
    }
    return decodeRecordBatches(frames());
  }

  /**
   * Runs SQL over this dataset, which the query names by its last key segment (the original protocol's
   * CommandExecuteQuery); the server needs its query engine (`fusion start flight` has it).
   *
   * @example
   * const counts = await ds.query("SELECT label, count(*) AS n FROM dataset GROUP BY label");
   */
  async query(sql: string, options: { signal?: AbortSignal } = {}): Promise<Table> {
    return runQuery(this.transport, sql, [this.source], options.signal);
  }

  /** The dataset's Arrow schema. */
  async schema(): Promise<Schema> {
    const response = await this.transport.unary(`${SERVICE}GetSchema`, this.commandDescriptor());
    return decodeSchema(fromBinary(SchemaResultSchema, response).schema);
  }

  /** Name, description, tags, properties and size of the dataset. */
  async metadata(): Promise<DatasetMetadata> {
    const response = await this.transport.unary(`${SERVICE}GetFlightInfo`, this.commandDescriptor());
    const info = fromBinary(FlightInfoSchema, response);
    const meta = fromBinary(AreaSourceMetadataSchema, info.flightDescriptor?.cmd ?? new Uint8Array());
    return {
      id: meta.id,
      name: meta.name,
      description: meta.description,
      isVersioned: meta.isVersioned,
      tags: Object.fromEntries(meta.tags.map((t) => [t.key, t.value])),
      properties: { ...meta.properties },
      totalRecords: Number(info.totalRecords),
      totalBytes: Number(info.totalBytes),
    };
  }

  /** Updates name, description, tags or properties; returns the new metadata. */
  async setMetadata(update: {
    name?: string;
    description?: string;
    tags?: Record<string, string>;
    properties?: Record<string, string>;
  }): Promise<void> {
    await this.action("set-metadata", { ...update, key: this.key });
  }

  /** The dataset's commits, newest first. */
  async history(options: { limit?: number } = {}): Promise<DatasetHistoryEntry[]> {
    const results = await this.action("history", { key: this.key, ...options });
    return results.map(parseHistoryEntry);
  }

  /** Deletes the dataset and its data. */
  async drop(): Promise<void> {
    await this.action("drop", { key: this.key });
  }

  private commandDescriptor(): Uint8Array[] {
    const descriptor = create(FlightDescriptorSchema, {
      type: FlightDescriptor_DescriptorType.CMD,
      cmd: toBinary(AreaSourceReferenceSchema, this.source),
    });
    return [encodeGrpcFrame(toBinary(FlightDescriptorSchema, descriptor))];
  }

  private async action(type: string, body: Record<string, unknown>): Promise<unknown[]> {
    const action = create(ActionSchema, { type, body: Buffer.from(JSON.stringify(body), "utf8") });
    const results: unknown[] = [];
    for await (const message of this.transport.call(`${SERVICE}DoAction`, [
      [encodeGrpcFrame(toBinary(ActionSchema, action))],
    ])) {
      results.push(JSON.parse(Buffer.from(fromBinary(ResultSchema, message).body).toString("utf8")));
    }
    return results;
  }
}

/** Runs a CommandExecuteQuery over `sources` (one: `source`; several: a SourceCollection) into a Table. */
export async function runQuery(
  transport: GrpcTransport,
  sql: string,
  sources: readonly AreaSourceReference[],
  signal?: AbortSignal,
): Promise<Table> {
  const context =
    sources.length === 1 && sources[0] !== undefined
      ? { case: "source" as const, value: sources[0] }
      : { case: "collection" as const, value: create(SourceCollectionSchema, { sources: [...sources] }) };
  const request = create(FlightDoGetRequestSchema, {
    command: { case: "query", value: create(CommandExecuteQuerySchema, { query: sql, context }) },
  });
  const ticket = create(TicketSchema, { ticket: toBinary(FlightDoGetRequestSchema, request) });
  const messages = transport.call(`${SERVICE}DoGet`, [[encodeGrpcFrame(toBinary(TicketSchema, ticket))]], signal);
  async function* frames() {
    for await (const message of messages) yield parseFlightData(message);
  }
  const { schema, batches } = await decodeRecordBatches(frames());
  const all: RecordBatch[] = [];
  for await (const batch of batches) all.push(batch);
  return all.length === 0 ? new Table(schema) : new Table(all);
}

function parseHistoryEntry(value: unknown): DatasetHistoryEntry {
  if (typeof value !== "object" || value === null) throw new InvalidArgumentError("Malformed history entry.");
  const record = value as Record<string, unknown>;
  const entry: DatasetHistoryEntry = {
    version: Number(record.version),
    timestamp: Number(record.timestamp),
    operation: String(record.operation ?? ""),
  };
  if (typeof record.rowsAdded === "number") entry.rowsAdded = record.rowsAdded;
  return entry;
}

async function toBatches(
  data: WriteData,
): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch> }> {
  if (data instanceof Table) return { schema: data.schema, batches: data.batches };
  if (Array.isArray(data) && !(data[0] instanceof RecordBatch)) {
    if (data.length === 0) throw new InvalidArgumentError("No rows to write; pass at least one row object.");
    const table = tableFromJSON(data as Record<string, unknown>[]);
    return { schema: table.schema, batches: table.batches };
  }
  const iterator =
    Symbol.asyncIterator in data
      ? (data as AsyncIterable<RecordBatch>)[Symbol.asyncIterator]()
      : toAsync((data as Iterable<RecordBatch>)[Symbol.iterator]());
  const first = await iterator.next();
  if (first.done) throw new InvalidArgumentError("The batch iterable is empty; pass at least one RecordBatch.");
  if (!(first.value instanceof RecordBatch)) {
    throw new InvalidArgumentError("writeInto takes a Table, RecordBatches or an array of row objects.");
  }
  const head = first.value;
  async function* rest(): AsyncGenerator<RecordBatch> {
    yield head;
    while (true) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { schema: head.schema, batches: rest() };
}

function toAsync<T>(iterator: Iterator<T>): AsyncIterator<T> {
  return { next: async () => iterator.next() };
}
