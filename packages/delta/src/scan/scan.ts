import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { InvalidArgumentError } from "@mlfusion/core";
import { Data, type Field, RecordBatch, Schema, Struct } from "apache-arrow";
import { type ColumnMappingMode, columnMappingMode, physicalName } from "../column-mapping/column-mapping.js";
import { deletedRowCursor, loadDeletionVector } from "../deletion-vectors/deletion-vector.js";
import { mayMatch, type StatsLookup } from "../expression/data-skipping.js";
import { evaluateOnBatch } from "../expression/evaluate-batch.js";
import { type Expression, referencedColumns } from "../expression/expression.js";
import { parseExpression } from "../expression/parse-expression.js";
import { type ResolvedExpression, resolveExpression } from "../expression/resolve-expression.js";
import type { Scalar } from "../expression/scalar.js";
import type { AddAction } from "../log/actions.js";
import type { DecodeOptions, ParquetDecodeTask } from "../parquet/decode-task.js";
import { nativeParquetDecoder } from "../parquet/native-decoder.js";
import {
  openParquetReader,
  type ParquetFileReader,
  type ParquetReadOptions,
  readParquetFooter,
} from "../parquet/parquet-reader.js";
import { sharedParquetWorkerPool } from "../parquet/parquet-worker-pool.js";
import { toArrowField } from "../schema/arrow-schema.js";
import type { StructField, StructType } from "../schema/delta-schema.js";
import type { Snapshot } from "../snapshot/snapshot.js";
import type { ObjectStore } from "../storage/object-store.js";
import { castToLogical, findPhysicalField, nullData } from "./arrow-cast.js";
import { resolveDataFile } from "./data-file-path.js";
import { fileNumRecords, fileStatsLookup } from "./file-statistics.js";
import { constantColumn, parsePartitionValue } from "./partition-values.js";
import { filterBatch } from "./row-filter.js";
import { EXACT_PARSERS, rowGroupStatsLookup } from "./row-group-skipping.js";

/** Options of a scan. */
export interface ScanOptions {
  /** Top-level columns to return, in this order; all columns when omitted. */
  columns?: readonly string[];
  /** A predicate (filter text or an Expression): files are skipped on partition values and statistics, rows filtered. */
  filter?: string | Expression;
  /** Rows per batch read from each data file (default: about 4 MB per batch). */
  batchSize?: number;
  /**
   * Decode several data files (or row groups) at once, ahead of the consumer; local tables only. "auto" (the
   * default) does so always with the native decoder, and with parquet-wasm when the files to read hold at least a
   * million rows by their statistics (below that, one worker thread decodes one item at a time). Each task holds up
   * to 64 MB of decoded batches ahead of the consumer (docs/adr/0006-native-parquet-decoding.md).
   */
  parallel?: boolean | "auto";
  /**
   * Which Parquet decoder reads the data files: "auto" (the default) uses the native one (arrow-rs, built by
   * `npm run build` when Rust is installed) for local tables and parquet-wasm otherwise; "wasm" always uses
   * parquet-wasm, on worker threads for local tables.
   */
  decoder?: "auto" | "wasm";
  signal?: AbortSignal;
}

/** With `parallel: "auto"` and parquet-wasm, scans of at least this many rows (by file statistics) decode on worker threads. */
const AUTO_PARALLEL_ROWS = 1_000_000;

/** A data file a scan reads, with its partition values parsed to the column types (keyed by logical name). */
export interface ScanFile {
  add: AddAction;
  /** The store and path the file is read from (the path decoded from `add.path`). */
  store: ObjectStore;
  path: string;
  partitionValues: ReadonlyMap<string, Scalar>;
  /** Rows in the file (from statistics) when known, before deletion vectors. */
  numRecords?: number;
}

/**
 * A scan of one snapshot (the kernel's Scan): plans which files to read (partition pruning and statistics-based
 * skipping) and streams their rows as RecordBatches of the table's logical schema: logical column names,
 * partition columns materialised from the log, missing columns as nulls, deleted rows removed, types cast to
 * the table schema (with mlfusion.arrowType hints applied).
 *
 * @example
 * const scan = createScan(store, snapshot, { columns: ["id"], filter: "id > 10" });
 * for await (const batch of scan.execute()) console.log(batch.numRows);
 */
export interface Scan {
  /** The Arrow schema of every batch `execute()` yields. */
  readonly schema: Schema;
  /** The files the scan will open, after skipping. */
  files(): ScanFile[];
  execute(): AsyncGenerator<RecordBatch>;
}

/** Plans a scan; InvalidArgumentError for unknown columns or an invalid filter. */
export function createScan(store: ObjectStore, snapshot: Snapshot, options: ScanOptions = {}): Scan {
  return new TableScan(store, snapshot, options);
}

class TableScan implements Scan {
  readonly schema: Schema;
  private readonly mode: ColumnMappingMode;
  private readonly predicate: ResolvedExpression | undefined;
  /** Fields read (output columns plus filter-only columns), in output order first. */
  private readonly readFields: StructField[];
  private readonly readArrowFields: Field[];
  private readonly outputCount: number;
  private readonly partitionColumns: ReadonlySet<string>;

  constructor(
    private readonly store: ObjectStore,
    private readonly snapshot: Snapshot,
    private readonly options: ScanOptions,
  ) {
    const schema = snapshot.schema;
    this.mode = columnMappingMode(snapshot.metadata);
    this.partitionColumns = new Set(snapshot.partitionColumns);
    const output = options.columns === undefined ? [...schema.fields] : options.columns.map((c) => topField(schema, c));
    const filter = typeof options.filter === "string" ? parseFilterText(options.filter) : options.filter;
    this.predicate = filter === undefined ? undefined : resolveExpression(filter, schema);
    const extra: StructField[] = [];
    if (filter !== undefined) {
      for (const path of referencedColumns(filter)) {
        const top = path[0];
        const field =
          schema.fields.find((f) => f.name === top) ??
          schema.fields.find((f) => f.name.toLowerCase() === top?.toLowerCase());
        if (field !== undefined && !output.includes(field) && !extra.includes(field)) extra.push(field);
      }
    }
    this.readFields = [...output, ...extra];
    this.outputCount = output.length;
    this.readArrowFields = this.readFields.map((f) => toArrowField(f, true));
    this.schema = new Schema(this.readArrowFields.slice(0, this.outputCount));
  }

  files(): ScanFile[] {
    const out: ScanFile[] = [];
    for (const add of this.snapshot.files) {
      const partitionValues = this.partitionValuesOf(add);
      if (this.predicate !== undefined) {
        const lookup = fileStatsLookup(add, this.snapshot.schema, this.mode, partitionValues);
        if (!mayMatch(this.predicate, lookup)) continue;
      }
      const { store, path } = resolveDataFile(this.store, add.path);
      const file: ScanFile = { add, store, path, partitionValues };
      const n = fileNumRecords(add);
      if (n !== undefined) file.numRecords = n;
      out.push(file);
    }
    return out;
  }

  async *execute(): AsyncGenerator<RecordBatch> {
    const decoder = this.fileDecoder();
    // Work items (a file, or one row group of it) in table order; with a decoder, up to `lookahead` of them decode
    // ahead (on libuv's threads or worker threads) while the current one is consumed here.
    const lookahead = decoder === undefined || !this.parallelDecoding(decoder.native) ? 0 : decoder.size;
    const window: WorkItem[] = [];
    const items = this.workItems(lookahead > 0);
    try {
      for (;;) {
        while (window.length <= lookahead) {
          const next = await items.next();
          if (next.done === true) break;
          window.push(next.value);
        }
        if (decoder !== undefined) {
          for (const item of window) {
            if (item.task !== undefined || item.context.columns.length === 0) continue;
            item.task = decoder.decode(join(item.file.store.location, item.file.path), this.readOptions(item, false));
          }
        }
        const item = window.shift();
        if (item === undefined) break;
        this.options.signal?.throwIfAborted();
        yield* this.transform(item, item.task ?? this.serialBatches(item));
      }
    } finally {
      for (const item of window) item.task?.cancel();
      await items.return(undefined);
    }
  }

  /**
   * Who decodes off this thread: for a local table (decoders open files by path), the native decoder when it is
   * built, else the parquet-wasm worker pool. Only other stores decode with parquet-wasm in this thread, through
   * the store: there a damaged data file can trap the wasm instance inside a stream callback, which escapes as an
   * uncaught exception (ADR 0006), while a worker that traps is replaced and the scan fails with CorruptTableError.
   */
  private fileDecoder(): FileDecoder | undefined {
    if (!isAbsolute(this.store.location) || !existsSync(this.store.location)) return undefined;
    const native = this.options.decoder === "wasm" ? undefined : nativeParquetDecoder();
    if (native !== undefined) return { native: true, size: native.size, decode: (p, o) => native.decode(p, o) };
    const pool = sharedParquetWorkerPool();
    // As before the native decoder: pool.size tasks decode while one more waits its turn.
    return { native: false, size: pool.size + 1, decode: (p, o) => pool.decode(p, o) };
  }

  /** Whether to decode several items at once: as asked, or for "auto" always natively and for large scans else. */
  private parallelDecoding(native: boolean): boolean {
    const parallel = this.options.parallel ?? "auto";
    if (parallel !== "auto") return parallel;
    if (native) return true;
    let rows = 0;
    for (const file of this.files()) rows += file.numRecords ?? 0;
    return rows >= AUTO_PARALLEL_ROWS;
  }

  /**
   * The files to read, opened for their footers, split into row-group segments when statistics allow, or always
   * with `byRowGroup` (so that workers share the decoding of a large file).
   */
  private async *workItems(byRowGroup: boolean): AsyncGenerator<WorkItem, undefined> {
    const { signal } = this.options;
    for (const file of this.files()) {
      signal?.throwIfAborted();
      const deleted =
        file.add.deletionVector == null
          ? undefined
          : await loadDeletionVector(this.store, file.add.deletionVector, signal);
      const reader = await openParquetReader(file.store, file.path, signal);
      let context: FileContext;
      const segments: Segment[] = [];
      try {
        // Which file column holds each table column (data columns only; partition columns come from the log).
        const sources = this.readFields.map((field) =>
          this.partitionColumns.has(field.name) ? -1 : findPhysicalField(reader.schema.fields, field, this.mode),
        );
        const names = reader.schema.fields.map((f) => f.name);
        const columns = [...new Set(sources.filter((i) => i >= 0).map((i) => names[i] ?? ""))];
        context = {
          file,
          reader,
          sources,
          names,
          columns,
          isDeleted: deleted === undefined || deleted.length === 0 ? undefined : deletedRowCursor(deleted),
        };
        // Row groups to read: all, or those whose footer statistics may match the predicate. Each selected
        // group is read on its own so that row indexes (for deletion vectors) stay exact.
        const count = reader.rowGroupRows.length;
        const groups =
          (await this.selectRowGroups(file, count, signal)) ??
          (byRowGroup && count > 1 ? Array.from({ length: count }, (_, g) => g) : undefined);
        if (groups === undefined) {
          segments.push({ firstRow: 0, rows: reader.numRows });
        } else {
          for (const g of groups) {
            let firstRow = 0;
            for (let i = 0; i < g; i++) firstRow += reader.rowGroupRows[i] ?? 0;
            segments.push({ rowGroups: [g], firstRow, rows: reader.rowGroupRows[g] ?? 0 });
          }
        }
      } catch (error) {
        reader.close();
        throw error;
      }
      try {
        for (const segment of segments) yield { file, context, segment };
      } finally {
        reader.close();
      }
    }
    return undefined;
  }

  private readOptions(item: WorkItem, withSignal: boolean): ParquetReadOptions & { columns: string[] } {
    const options: ParquetReadOptions & { columns: string[] } = { columns: item.context.columns };
    if (item.segment.rowGroups !== undefined) options.rowGroups = item.segment.rowGroups;
    options.batchSize = this.options.batchSize ?? item.context.reader.defaultBatchSize;
    if (withSignal && this.options.signal !== undefined) options.signal = this.options.signal;
    return options;
  }

  private serialBatches(item: WorkItem): AsyncIterable<RecordBatch> {
    if (item.context.columns.length === 0) {
      return rowCountBatches(item.segment.rows, this.options.batchSize ?? 64 * 1024);
    }
    return item.context.reader.batches(this.readOptions(item, true));
  }

  /** Turns file batches into table batches: logical columns, partition values, deletion vectors, the filter. */
  private async *transform(item: WorkItem, batches: AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
    const { file, context, segment } = item;
    let rowIndex = segment.firstRow;
    for await (const source of batches) {
      // Decoders ahead of the consumer get no signal: an abort ends the scan here, and the loop's exit cancels them.
      this.options.signal?.throwIfAborted();
      const n = source.numRows;
      const children = this.readFields.map((field, i) => {
        const target = this.readArrowFields[i]?.type;
        if (target === undefined) throw new InvalidArgumentError(`No type for column ${field.name}.`);
        if (this.partitionColumns.has(field.name)) {
          return constantColumn(file.partitionValues.get(field.name) ?? null, target, n);
        }
        const fileIndex = context.sources[i] ?? -1;
        const name = fileIndex < 0 ? undefined : context.names[fileIndex];
        const data = name === undefined ? undefined : source.getChild(name)?.data[0];
        if (data === undefined) return nullData(target, n);
        return castToLogical(data, target, field.type, this.mode, field.name);
      });
      let batch = makeBatch(new Schema(this.readArrowFields), children, n);
      let mask: Uint8Array | undefined;
      const isDeleted = context.isDeleted;
      if (isDeleted !== undefined) {
        mask = new Uint8Array(n);
        for (let r = 0; r < n; r++) mask[r] = isDeleted(rowIndex + r) ? 0 : 1;
      }
      rowIndex += n;
      if (this.predicate !== undefined) {
        const selected = evaluateOnBatch(this.predicate, batch);
        if (mask === undefined) mask = selected;
        else for (let r = 0; r < n; r++) mask[r] = (mask[r] ?? 0) & (selected[r] ?? 0);
      }
      const parts = mask === undefined ? [batch] : filterBatch(batch, mask);
      for (batch of parts) {
        if (batch.numRows === 0) continue;
        yield this.readFields.length === this.outputCount ? batch : project(batch, this.schema, this.outputCount);
      }
    }
  }

  /** Row groups that may hold matching rows, or undefined to read the whole file. */
  private async selectRowGroups(
    file: ScanFile,
    count: number,
    signal: AbortSignal | undefined,
  ): Promise<number[] | undefined> {
    const predicate = this.predicate;
    if (predicate === undefined || count < 2) return undefined;
    const footer = await readParquetFooter(file.store, file.path, signal, EXACT_PARSERS);
    const fileLookup = fileStatsLookup(file.add, this.snapshot.schema, this.mode, file.partitionValues);
    const partition: StatsLookup = (path) =>
      path.length === 1 && file.partitionValues.has(path[0] ?? "") ? fileLookup(path) : undefined;
    const selected: number[] = [];
    for (let g = 0; g < count; g++) {
      if (mayMatch(predicate, rowGroupStatsLookup(footer, g, this.snapshot.schema, this.mode, partition)))
        selected.push(g);
    }
    return selected.length === count ? undefined : selected;
  }

  private partitionValuesOf(add: AddAction): Map<string, Scalar> {
    const values = new Map<string, Scalar>();
    for (const name of this.snapshot.partitionColumns) {
      const field = this.snapshot.schema.fields.find((f) => f.name === name);
      if (field === undefined) continue;
      const key = physicalName(field, this.mode);
      const text = key in add.partitionValues ? add.partitionValues[key] : add.partitionValues[name];
      values.set(name, parsePartitionValue(text, field.type, name));
    }
    return values;
  }
}

/** What a scan knows about an open data file. */
interface FileContext {
  file: ScanFile;
  reader: ParquetFileReader;
  /** Per read field: index of its column in the file schema, or -1 (partition column or absent). */
  sources: number[];
  /** Top-level column names of the file. */
  names: string[];
  /** File columns to decode. */
  columns: string[];
  isDeleted: ((rowIndex: number) => boolean) | undefined;
}

/** Rows of a file to read: the whole file, or one row group. */
interface Segment {
  rowGroups?: number[];
  firstRow: number;
  rows: number;
}

/** Decodes local files off this thread: the native decoder or the parquet-wasm worker pool. */
interface FileDecoder {
  native: boolean;
  /** Work items to decode ahead of the one being consumed. */
  size: number;
  decode(path: string, options: DecodeOptions): ParquetDecodeTask;
}

interface WorkItem {
  file: ScanFile;
  context: FileContext;
  segment: Segment;
  task?: ParquetDecodeTask;
}

function makeBatch(schema: Schema, children: Data[], length: number): RecordBatch {
  const struct = new Data(new Struct(schema.fields), 0, length, 0, {}, children);
  return new RecordBatch(schema, struct);
}

function project(batch: RecordBatch, schema: Schema, count: number): RecordBatch {
  const children: Data[] = [];
  for (let i = 0; i < count; i++) {
    const data = batch.getChildAt(i)?.data[0];
    if (data === undefined) throw new InvalidArgumentError("A projected column has no data.");
    children.push(data);
  }
  return makeBatch(schema, children, batch.numRows);
}

/** Batches with no columns and the given row counts, for scans that read only partition columns. */
async function* rowCountBatches(rows: number, batchSize: number): AsyncGenerator<RecordBatch> {
  const empty = new Schema([]);
  for (let start = 0; start < rows; start += batchSize) {
    yield makeBatch(empty, [], Math.min(batchSize, rows - start));
  }
}

function topField(schema: StructType, name: string): StructField {
  const field = schema.fields.find((f) => f.name === name);
  if (field !== undefined) return field;
  throw new InvalidArgumentError(
    `Column ${JSON.stringify(name)} does not exist; the table has columns ${schema.fields.map((f) => f.name).join(", ")}.`,
    { details: { column: name } },
  );
}

function parseFilterText(text: string): Expression | undefined {
  return text.trim() === "" ? undefined : parseExpression(text);
}
