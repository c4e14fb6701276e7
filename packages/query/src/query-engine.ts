import {
  blobValue,
  type DuckDBConnection,
  type DuckDBInstance,
  type DuckDBPreparedStatement,
  type DuckDBResult,
  DuckDBTypeId,
  type DuckDBValue,
  StatementType,
  timestampValue,
} from "@duckdb/node-api";
import { createSilentLogger, FusionError, type Logger, type QueryConfig } from "@mlfusion/core";
import { Field, type RecordBatch, Schema, Utf8 } from "apache-arrow";
import { arrowTypeOf, type NativeKind, nativeKindOf } from "./arrow/native-kinds.js";
import { resultBatches, resultSchema } from "./arrow/result-batches.js";
import type { AssetKey, DataFile, DatasetCatalog, DatasetSnapshot, TimeTravel } from "./dataset-catalog.js";
import { resolveAssetKey, timeTravelOf } from "./dataset-resolution.js";
import { skipFiles } from "./file-skipping.js";
import { fromDuckDBError, notASelectError } from "./query-errors.js";
import { openSandboxedInstance } from "./sandbox.js";
import { scanViewSql } from "./scan-view.js";
import { parseSelect } from "./sql/parse-select.js";
import { analyzeSelect, type ColumnFilter, type SelectAnalysis } from "./sql/select-analysis.js";
import { quoteIdentifier, rewriteTableReferences, type TableReplacement } from "./sql/table-rewrite.js";

/** A value bound to a `?` / `$n` parameter. */
export type QueryParameter = string | number | bigint | boolean | null | Date | Uint8Array;

/** Options for one query. */
export interface QueryOptions {
  /** Cancels the query (planning, execution and streaming): the result then fails with CANCELLED. */
  signal?: AbortSignal;
  /** Values for the query's parameters, in order. */
  parameters?: readonly QueryParameter[];
  /** Overrides `config.timeoutMs` for this query. */
  timeoutMs?: number;
  /**
   * Extra table names for this query: a one-identifier table name found here names that dataset, before the usual
   * rule. For CommandExecuteQuery, whose SQL names each source by the last segment of its key.
   */
  tableNames?: Readonly<Record<string, AssetKey>>;
}

/** How one dataset reference in a query was read: which version, and how many files file skipping kept. */
export interface DatasetScan {
  readonly key: AssetKey;
  readonly version: number;
  /** Active files in the version. */
  readonly filesTotal: number;
  /** Files the query opened after file skipping. */
  readonly filesOpened: number;
  readonly filters: readonly ColumnFilter[];
}

/**
 * A running query: its Arrow schema, how it read each dataset, and its rows as RecordBatches. Iterate it (once)
 * or call `close()`; either releases the DuckDB connection.
 */
export interface QueryResult extends AsyncIterable<RecordBatch> {
  readonly schema: Schema;
  readonly scans: readonly DatasetScan[];
  close(): void;
}

/** A statement prepared once and run with different parameters (Flight SQL prepared statements). */
export interface PreparedQuery {
  readonly sql: string;
  /** The result schema. */
  readonly schema: Schema;
  /** Number of `?` / `$n` parameters. */
  readonly parameterCount: number;
  /** One field per parameter (`$1`, `$2`...), typed where DuckDB can infer the type from the query, else Utf8. */
  readonly parameterSchema: Schema;
  execute(options?: QueryOptions): Promise<QueryResult>;
}

/** The SQL engine over datasets. */
export interface QueryEngine {
  /**
   * Runs one SELECT over datasets and streams its result.
   *
   * @example
   * const result = await engine.query('SELECT label, count(*) FROM "demo"."model_training"."dataset" GROUP BY 1');
   * for await (const batch of result) console.log(batch.numRows);
   */
  query(sql: string, options?: QueryOptions): Promise<QueryResult>;
  /** Validates `sql` and reports its result schema and parameter count without returning rows. */
  prepare(sql: string, options?: Pick<QueryOptions, "signal" | "tableNames" | "timeoutMs">): Promise<PreparedQuery>;
  /** The datasets queries can name. */
  listDatasets(signal?: AbortSignal): Promise<AssetKey[]>;
  /** A dataset's schema at its latest version. */
  datasetSchema(key: AssetKey, signal?: AbortSignal): Promise<Schema>;
  close(): Promise<void>;
}

/** What `createQueryEngine` needs. */
export interface QueryEngineOptions {
  catalog: DatasetCatalog;
  config: QueryConfig;
  logger?: Logger;
}

/**
 * Creates the SQL engine: DuckDB in memory, locked down so that a query reads the catalog's datasets only.
 *
 * @example
 * const engine = createQueryEngine({ catalog: createDeltaCatalog({ dataRoot }), config: { timeoutMs: 60_000 } });
 * const result = await engine.query('SELECT * FROM "demo"."iris" AT (VERSION => 2) WHERE species = \'setosa\'');
 */
export function createQueryEngine(options: QueryEngineOptions): QueryEngine {
  const { catalog, config } = options;
  const logger = (options.logger ?? createSilentLogger()).child({ component: "query" });
  let instance: Promise<DuckDBInstance> | undefined;
  let closed = false;
  const getInstance = () => {
    if (closed) throw new FusionError("UNAVAILABLE", "The query engine is closed.");
    if (instance === undefined) {
      const opening = openSandboxedInstance(catalog.dataDirectories);
      instance = opening;
      // A failed start is not cached: the next query tries again.
      opening.catch(() => {
        if (instance === opening) instance = undefined;
      });
    }
    return instance;
  };

  const run = async (
    sql: string,
    opts: QueryOptions,
    prepareOnly: boolean,
  ): Promise<QueryResult & { parameterCount: number; parameterSchema: Schema }> => {
    const started = performance.now();
    const connection = await (await getInstance()).connect();
    const guard = createGuard(connection, opts.timeoutMs ?? config.timeoutMs, opts.signal);
    let handedOff = false;
    try {
      const planned = await plan(connection, catalog, sql, guard, opts.tableNames ?? {}, opts.signal);
      guard.check();
      const prepared = await preparedWithNativeTypes(connection, planned.sql);
      const parameterCount = prepared.statement.parameterCount;
      const parameterSchema = parameterSchemaOf(prepared.statement);
      if (prepareOnly) {
        // Nothing to stream: the connection is released by the finally below.
        const empty = emptyResult(prepared.schema, planned.scans, () => undefined);
        return { ...empty, parameterCount, parameterSchema };
      }
      bindParameters(prepared.statement, opts.parameters ?? []);
      guard.check();
      const stream = await prepared.statement.stream();
      logger.debug(
        {
          scans: planned.scans.map((s) => ({ key: s.key.join("/"), version: s.version, files: s.filesOpened })),
          planMs: Math.round(performance.now() - started),
        },
        "query started",
      );
      handedOff = true;
      const result = streamingResult(stream, prepared.schema, prepared.kinds, planned.scans, guard, sql, () =>
        release(connection, guard),
      );
      return { ...result, parameterCount, parameterSchema };
    } catch (error) {
      throw guard.translate(error, sql);
    } finally {
      if (!handedOff) release(connection, guard);
    }
  };

  return {
    query: (sql, opts = {}) => run(sql, opts, false),
    prepare: async (sql, opts = {}) => {
      const probe = await run(sql, opts, true);
      probe.close();
      const { schema, parameterCount, parameterSchema } = probe;
      const tableNames = opts.tableNames;
      const execute = (o: QueryOptions = {}) => run(sql, tableNames === undefined ? o : { tableNames, ...o }, false);
      return { sql, schema, parameterCount, parameterSchema, execute };
    },
    listDatasets: (signal) => catalog.listDatasets(signal),
    datasetSchema: async (key, signal) => (await catalog.openDataset(key, undefined, signal)).schema,
    close: async () => {
      closed = true;
      const open = instance;
      instance = undefined;
      if (open !== undefined) (await open).closeSync();
    },
  };
}

/** Deadline and cancellation for one query: interrupts DuckDB and remembers why. */
interface QueryGuard {
  check(): void;
  translate(error: unknown, sql: string): FusionError;
  dispose(): void;
}

function createGuard(connection: DuckDBConnection, timeoutMs: number, signal: AbortSignal | undefined): QueryGuard {
  let reason: "deadline" | "cancelled" | undefined;
  const stop = (why: "deadline" | "cancelled") => {
    reason ??= why;
    connection.interrupt();
  };
  const timer = setTimeout(() => stop("deadline"), timeoutMs);
  timer.unref();
  const onAbort = () => stop("cancelled");
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) reason = "cancelled";
  const stopped = (): FusionError | undefined => {
    if (reason === "deadline") {
      return new FusionError(
        "DEADLINE_EXCEEDED",
        `The query ran longer than its ${timeoutMs} ms limit and was stopped; narrow it (filters, LIMIT) or raise query.timeoutMs.`,
        { details: { timeoutMs } },
      );
    }
    if (reason === "cancelled") return new FusionError("CANCELLED", "The query was cancelled.");
    return undefined;
  };
  return {
    check: () => {
      const error = stopped();
      if (error !== undefined) throw error;
    },
    translate: (error, sql) => stopped() ?? fromDuckDBError(error, sql),
    dispose: () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

function release(connection: DuckDBConnection, guard: QueryGuard): void {
  guard.dispose();
  connection.closeSync();
}

interface PlannedQuery {
  sql: string;
  scans: DatasetScan[];
}

/** Parses, checks and resolves the query, skips files, and replaces each dataset reference by a scan of its files. */
async function plan(
  connection: DuckDBConnection,
  catalog: DatasetCatalog,
  sql: string,
  guard: QueryGuard,
  tableNames: Readonly<Record<string, AssetKey>>,
  signal: AbortSignal | undefined,
): Promise<PlannedQuery> {
  const tree = await parseSelect(connection, sql);
  const analysis = analyzeSelect(tree);
  let listing: Promise<AssetKey[]> | undefined;
  const list = () => {
    listing ??= catalog.listDatasets(signal);
    return listing;
  };
  const snapshots = new Map<string, Promise<DatasetSnapshot>>();
  const open = (key: AssetKey, at: TimeTravel | undefined) => {
    const id = JSON.stringify([key, at ?? null]);
    let found = snapshots.get(id);
    if (found === undefined) {
      found = catalog.openDataset(key, at, signal);
      snapshots.set(id, found);
    }
    return found;
  };
  const resolved = await Promise.all(
    analysis.tables.map(async (ref) => {
      const key = await resolveAssetKey(ref, catalog, list, tableNames);
      return { ref, snapshot: await open(key, timeTravelOf(ref)) };
    }),
  );
  guard.check();
  const filtersByRef = assignUnqualifiedFilters(analysis, resolved);
  const replacements: TableReplacement[] = [];
  const scans: DatasetScan[] = [];
  for (const [i, { ref, snapshot }] of resolved.entries()) {
    const filters = filtersByRef.get(i) ?? [];
    const files = skipFiles(snapshot, filters);
    const deletedRows = await loadDeletedRows(connection, files, `__fusion_deleted_${i}`, guard, signal);
    // Inlined as a subquery rather than a view: binding a view reads every file footer once more.
    replacements.push({ ref, relation: `(${scanViewSql(snapshot, files, deletedRows)})` });
    scans.push({
      key: snapshot.key,
      version: snapshot.version,
      filesTotal: snapshot.files.length,
      filesOpened: files.length,
      filters,
    });
  }
  return { sql: rewriteTableReferences(sql, replacements), scans };
}

/**
 * Loads the deletion vectors of `files` into temp tables of this query's connection (one per file, one BIGINT
 * column `row_index`), which the scan anti-joins on `file_row_number`.
 */
async function loadDeletedRows(
  connection: DuckDBConnection,
  files: readonly DataFile[],
  prefix: string,
  guard: QueryGuard,
  signal: AbortSignal | undefined,
): Promise<Map<DataFile, string>> {
  const tables = new Map<DataFile, string>();
  for (const [n, file] of files.entries()) {
    if (file.deletionVector === undefined) continue;
    const rows = await file.deletionVector.load(signal);
    guard.check();
    const table = `${prefix}_${n}`;
    await connection.run(`CREATE TEMP TABLE ${table} (row_index BIGINT)`);
    const appender = await connection.createAppender(table, "main", "temp");
    try {
      for (const row of rows) {
        appender.appendBigInt(BigInt(row));
        appender.endRow();
      }
    } finally {
      appender.closeSync();
    }
    tables.set(file, table);
  }
  return tables;
}

/** Unqualified columns in a WHERE belong to the one table of that SELECT whose schema has them. */
function assignUnqualifiedFilters(
  analysis: SelectAnalysis,
  resolved: readonly { ref: SelectAnalysis["tables"][number]; snapshot: DatasetSnapshot }[],
): Map<number, ColumnFilter[]> {
  const out = new Map<number, ColumnFilter[]>();
  resolved.forEach(({ ref }, i) => {
    out.set(i, [...ref.filters]);
  });
  for (const scope of analysis.unqualified) {
    if (!scope.complete) continue;
    for (const filter of scope.filters) {
      const owners = scope.tables
        .map((t) => resolved.findIndex((r) => r.ref === t))
        .filter((i) => {
          const fields = resolved[i]?.snapshot.schema.fields ?? [];
          return fields.some((f) => f.name.toLowerCase() === filter.column.toLowerCase());
        });
      const [owner] = owners;
      if (owners.length === 1 && owner !== undefined) out.get(owner)?.push(filter);
    }
  }
  return out;
}

interface NativePrepared {
  statement: DuckDBPreparedStatement;
  schema: Schema;
  kinds: NativeKind[];
}

/**
 * Prepares the rewritten query, refuses anything but SELECT (DuckDB's own statement type), and wraps it so that
 * columns of types without a native Arrow copy (nested, UUID, INTERVAL, ENUM...) arrive as VARCHAR text.
 */
async function preparedWithNativeTypes(connection: DuckDBConnection, sql: string): Promise<NativePrepared> {
  const statement = await connection.prepare(sql);
  if (statement.statementType !== StatementType.SELECT) throw notASelectError("a statement that is not SELECT");
  const names: string[] = [];
  const kinds: (NativeKind | undefined)[] = [];
  for (let i = 0; i < statement.columnCount; i++) {
    names.push(statement.columnName(i));
    kinds.push(nativeKindOf(statement.columnType(i)));
  }
  if (kinds.every((k) => k !== undefined)) {
    const native = kinds.filter((k) => k !== undefined);
    return { statement, schema: resultSchema(names, native), kinds: native };
  }
  const columns = kinds.map((k, i) =>
    k === undefined
      ? `CAST(#${i + 1} AS VARCHAR) AS ${quoteIdentifier(names[i] ?? "")}`
      : `#${i + 1} AS ${quoteIdentifier(names[i] ?? "")}`,
  );
  statement.destroySync();
  const wrapped = await connection.prepare(`SELECT ${columns.join(", ")} FROM (${sql}) AS __fusion_result`);
  const wrappedKinds: NativeKind[] = [];
  for (let i = 0; i < wrapped.columnCount; i++) {
    const kind = nativeKindOf(wrapped.columnType(i));
    if (kind === undefined) throw new FusionError("INTERNAL", `Column ${names[i]} could not be converted to Arrow.`);
    wrappedKinds.push(kind);
  }
  return { statement: wrapped, schema: resultSchema(names, wrappedKinds), kinds: wrappedKinds };
}

function parameterSchemaOf(statement: DuckDBPreparedStatement): Schema {
  const fields: Field[] = [];
  for (let i = 1; i <= statement.parameterCount; i++) {
    // Parameters whose type DuckDB cannot infer from the query (INVALID / ANY) are offered as text.
    const typeId = statement.parameterTypeId(i);
    const known = typeId !== DuckDBTypeId.INVALID && typeId !== DuckDBTypeId.ANY && typeId !== DuckDBTypeId.SQLNULL;
    const kind = known ? nativeKindOf(statement.parameterType(i)) : undefined;
    const type = kind === undefined ? new Utf8() : arrowTypeOf(kind);
    fields.push(new Field(`$${i}`, type, true));
  }
  return new Schema(fields);
}

function bindParameters(statement: DuckDBPreparedStatement, parameters: readonly QueryParameter[]): void {
  if (parameters.length === 0) return;
  if (parameters.length !== statement.parameterCount) {
    throw new FusionError(
      "INVALID_ARGUMENT",
      `The query has ${statement.parameterCount} parameters but ${parameters.length} values were given.`,
    );
  }
  const values: DuckDBValue[] = parameters.map((p) => {
    if (p instanceof Date) return timestampValue(BigInt(p.getTime()) * 1000n);
    if (p instanceof Uint8Array) return blobValue(p);
    return p;
  });
  statement.bind(values);
}

function emptyResult(schema: Schema, scans: DatasetScan[], close: () => void): QueryResult {
  let closed = false;
  const once = () => {
    if (!closed) {
      closed = true;
      close();
    }
  };
  return {
    schema,
    scans,
    close: once,
    [Symbol.asyncIterator]: () => {
      once();
      return emptyIterator();
    },
  };
}

async function* emptyIterator(): AsyncGenerator<RecordBatch> {
  // A prepared-only result has a schema but no rows.
}

function streamingResult(
  stream: DuckDBResult,
  schema: Schema,
  kinds: NativeKind[],
  scans: DatasetScan[],
  guard: QueryGuard,
  sql: string,
  close: () => void,
): QueryResult {
  let closed = false;
  let started = false;
  const once = () => {
    if (!closed) {
      closed = true;
      close();
    }
  };
  return {
    schema,
    scans,
    close: once,
    async *[Symbol.asyncIterator]() {
      if (started) throw new FusionError("INVALID_ARGUMENT", "A query result can be iterated only once.");
      started = true;
      try {
        yield* resultBatches(stream, schema, kinds, () => guard.check());
        guard.check();
      } catch (error) {
        throw guard.translate(error, sql);
      } finally {
        once();
      }
    },
  };
}
