import type { DuckDBPreparedStatement, DuckDBResult } from "@duckdb/node-api";
import { createSilentLogger, FusionError, type Logger, type QueryConfig } from "@mlfusion/core";
import type { Schema } from "apache-arrow";
import { type NativeKind, nativeKindOf, sameKind } from "./arrow/native-kinds.js";
import type { AssetKey, DatasetCatalog } from "./dataset-catalog.js";
import { bindParameters, parameterSchemaOf, preparedWithNativeTypes, type QueryParameter } from "./duckdb-statement.js";
import { createGuard } from "./query-guard.js";
import { plan } from "./query-plan.js";
import { emptyResult, type QueryResult, streamingResult } from "./query-result.js";
import { openSandboxedInstance, type SandboxedInstance } from "./sandbox.js";

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
  // The DuckDB instance for the catalog's current data directories. DuckDB may read files under these only, and
  // that setting is locked, so when they change (a table registered from another folder) queries move to a new
  // instance and the old one closes once its running queries end.
  let current: { directories: string; request: number; opening: Promise<SandboxedInstance> } | undefined;
  let requests = 0;
  let closed = false;
  /** A connection on the instance for the current directories, counted as in use so the instance stays open. */
  const lease = async (signal: AbortSignal | undefined) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const request = ++requests;
      const directories = await catalog.dataDirectories(signal);
      if (closed) throw new FusionError("UNAVAILABLE", "The query engine is closed.");
      const id = JSON.stringify(directories);
      // A listing older than the one the current instance was opened for is stale: keep the current instance.
      if (current === undefined || (current.directories !== id && request > current.request)) {
        const previous = current;
        const entry = { directories: id, request, opening: openSandboxedInstance(directories, config) };
        current = entry;
        // A failed start is not cached: the next query tries again.
        entry.opening.catch(() => {
          if (current === entry) current = undefined;
        });
        previous?.opening.then(
          (sandbox) => sandbox.retire(),
          () => undefined,
        );
      }
      const sandbox = await current.opening;
      // Taken in the same turn as the await above, before a retirement can close the instance; undefined when it
      // closed while it was opening (replaced in the meantime): then try the current one.
      const connection = await sandbox.acquire();
      if (connection !== undefined) return { sandbox, connection };
    }
    throw new FusionError("UNAVAILABLE", "The query engine is switching to new data folders; retry the query.");
  };

  const run = async (
    sql: string,
    opts: QueryOptions,
    prepareOnly: boolean,
  ): Promise<QueryResult & { parameterCount: number; parameterSchema: Schema }> => {
    const started = performance.now();
    const { sandbox, connection } = await lease(opts.signal);
    const guard = createGuard(connection, opts.timeoutMs ?? config.timeoutMs, opts.signal);
    // Temp tables the plan creates on the connection (deletion vectors), dropped when the connection is released.
    const tempTables: string[] = [];
    const release = (finished = true) => {
      guard.dispose();
      void sandbox.release(connection, tempTables, finished);
    };
    let handedOff = false;
    try {
      const planned = await plan(connection, catalog, sql, guard, opts.tableNames ?? {}, opts.signal, tempTables);
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
      const changed = changedColumn(stream, prepared.statement, prepared.kinds);
      if (changed !== undefined) {
        // Started but never read: the connection is cleaned up before its next query.
        handedOff = true;
        release(false);
        throw new FusionError(
          "INVALID_ARGUMENT",
          `Result column ${changed.index + 1} (${changed.name}) has type ${changed.actual} with the bound parameters, not ${changed.prepared} as prepared; cast the parameter to the type the query expects, e.g. CAST(? AS ${changed.prepared}).`,
        );
      }
      logger.debug(
        {
          scans: planned.scans.map((s) => ({ key: s.key.join("/"), version: s.version, files: s.filesOpened })),
          planMs: Math.round(performance.now() - started),
        },
        "query started",
      );
      handedOff = true;
      const result = streamingResult(stream, prepared.schema, prepared.kinds, planned.scans, guard, sql, release);
      return { ...result, parameterCount, parameterSchema };
    } catch (error) {
      throw guard.translate(error, sql);
    } finally {
      if (!handedOff) release();
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
      const open = current;
      current = undefined;
      await open?.opening.then(
        (sandbox) => sandbox.retire(),
        () => undefined,
      );
    },
  };
}

/**
 * The first result column whose type differs from the prepared one, if any. A bound parameter can make DuckDB
 * re-bind a statement (`coalesce(?, 'x')` bound to an integer returns INTEGER, not VARCHAR); the result must then
 * not be read with the prepared column layouts.
 */
function changedColumn(
  result: DuckDBResult,
  statement: DuckDBPreparedStatement,
  kinds: readonly NativeKind[],
): { index: number; name: string; actual: string; prepared: string } | undefined {
  const count = result.columnCount;
  for (let i = 0; i < Math.max(count, kinds.length); i++) {
    const expected = kinds[i];
    const type = i < count ? result.columnType(i) : undefined;
    const actual = type === undefined ? undefined : nativeKindOf(type);
    if (expected === undefined || actual === undefined || !sameKind(actual, expected)) {
      return {
        index: i,
        name: i < count ? result.columnName(i) : `#${i + 1}`,
        actual: type === undefined ? "(no column)" : type.toString(),
        prepared: i < statement.columnCount ? statement.columnType(i).toString() : "(no column)",
      };
    }
  }
  return undefined;
}
