import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import type { DuckDBConnection, DuckDBInstance as DuckDBInstanceType } from "@duckdb/node-api";
import { DuckDBInstance } from "@duckdb/node-api";
import { InvalidArgumentError } from "@mlfusion/core";
import { quoteIdentifier, quoteLiteral } from "./sql/table-rewrite.js";

/**
 * Connections set up before the configuration is locked (see {@link openSandboxedInstance}), each with this
 * `streaming_buffer_size`. Starting a streamed result runs the query until DuckDB's buffer is full, so the buffer
 * is what a client waits for before the first batch. The native conversion's pump (duckdb_arrow.cc) keeps the
 * buffer drained, so DuckDB's scan does not wait on a small one: with the pump, 1 MB measured 7% faster than 16 MB
 * for a 1M-row result (72 against 78 ms) and 6% for 5M rows. 1 MB is also DuckDB's default; it is set explicitly so
 * that a new default does not change it silently. It is a per-connection setting that cannot be set globally or
 * after the lock, hence the pool.
 */
export const STREAMING_BUFFER_SIZE = "1MB";

/** How many configured connections the pool keeps; more concurrent queries get plain connections. */
export const POOLED_CONNECTIONS = 4;

/** Resources of the instance (QueryConfig's `memoryLimit`, `threads`, `tempDirectory`). */
export interface EngineResources {
  memoryLimit?: string | undefined;
  threads?: number | undefined;
  /** Under which folder DuckDB spills (a fresh subfolder per instance, removed on close); default the system's. */
  tempDirectory?: string | undefined;
}

/** The sandboxed instance and the connections queries run on. */
export interface SandboxedInstance {
  instance: DuckDBInstanceType;
  /**
   * A connection for one query: a pooled one when free, else a new one with DuckDB's defaults. Undefined when the
   * instance has closed (retired); the instance stays open until every connection handed out is released.
   */
  acquire(): Promise<DuckDBConnection | undefined>;
  /**
   * Gives the connection back after its query: its temp tables are dropped, a result not read to the end
   * (`finished` false) is ended by running a no-op statement, and a pooled connection returns to the pool (a new
   * one is closed). Never rejects; a connection that cannot be cleaned is closed. Resolves once the connection is
   * back in the pool or closed (callers need not wait).
   */
  release(connection: DuckDBConnection, tempTables: readonly string[], finished?: boolean): Promise<void>;
  /** Closes the instance once every connection handed out is released (at once when none is). */
  retire(): void;
  /** Closes the instance now; queries still running on it fail. */
  close(): void;
}

/**
 * Opens the in-memory DuckDB instance queries run in, locked down with DuckDB's own settings (measured with
 * @duckdb/node-api 1.5.6):
 * - `enable_external_access=false` refuses every file outside `allowed_directories` and DuckDB's own temp folder
 *   (read_csv('/etc/passwd'), COPY TO outside the data, http(s) URLs) and `INSTALL`/`LOAD` of non-built-in
 *   extensions;
 * - `allowed_directories` is the catalog's data folders, so the per-query views can read Parquet files there;
 * - extension autoinstall/autoload are off and `lock_configuration=true` refuses every later `SET`.
 * What these settings do NOT refuse (measured): COPY TO and EXPORT DATABASE into the data folders, glob() over
 * them, ATTACH ':memory:', CREATE TABLE. Those are refused before execution by the statement checks
 * (`parseSelect`: one SELECT only; `analyzeSelect`: no file-reading table functions).
 */
export async function openSandboxedInstance(
  dataDirectories: readonly string[],
  resources: EngineResources = {},
): Promise<SandboxedInstance> {
  // A private folder per instance (DuckDB names its spill files by block size, so two instances spilling into one
  // folder overwrite each other's files), under the configured folder or the system temp directory; without one
  // DuckDB spills into `.tmp` under the working directory. DuckDB lets queries read and write its temp folder
  // despite `enable_external_access=false`, so it must not lie inside the data (checked here; a fresh subfolder
  // cannot contain any).
  const tempBase = resolve(resources.tempDirectory ?? tmpdir());
  for (const dir of dataDirectories) {
    const inside = (a: string, b: string) => {
      const rel = relative(b, a);
      return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
    };
    if (inside(tempBase, dir)) {
      throw new InvalidArgumentError(
        `The query temp directory ${tempBase} is inside the data folder ${dir}; set query.tempDirectory to a folder outside it.`,
      );
    }
  }
  await mkdir(tempBase, { recursive: true });
  const ownTemp = await mkdtemp(join(tempBase, "mlfusion-duckdb-"));
  const removeOwnTemp = () => {
    void rm(ownTemp, { recursive: true, force: true }).catch(() => undefined);
  };
  const settings: Record<string, string> = {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
    allow_community_extensions: "false",
    allow_unsigned_extensions: "false",
    temp_directory: ownTemp,
  };
  if (resources.memoryLimit !== undefined) settings.memory_limit = resources.memoryLimit;
  if (resources.threads !== undefined) settings.threads = String(resources.threads);
  let instance: DuckDBInstanceType;
  try {
    instance = await DuckDBInstance.create(":memory:", settings);
  } catch (error) {
    removeOwnTemp();
    throw error;
  }
  const idle: DuckDBConnection[] = [];
  const pooled = new Set<DuckDBConnection>();
  let closed = false;
  let retired = false;
  let active = 0;
  try {
    for (let i = 0; i < POOLED_CONNECTIONS; i++) {
      const connection = await instance.connect();
      pooled.add(connection);
      idle.push(connection);
      await connection.run(`SET streaming_buffer_size = '${STREAMING_BUFFER_SIZE}'`);
    }
    const setup = await instance.connect();
    try {
      const dirs = dataDirectories.map((d) => quoteLiteral(d.endsWith("/") ? d : `${d}/`));
      // Delta data files never change once written, so their Parquet footers can be cached across queries.
      await setup.run("SET parquet_metadata_cache = true");
      await setup.run(`SET allowed_directories = [${dirs.join(", ")}]`);
      await setup.run("SET enable_external_access = false");
      await setup.run("SET lock_configuration = true");
    } finally {
      setup.closeSync();
    }
  } catch (error) {
    for (const connection of pooled) connection.closeSync();
    instance.closeSync();
    removeOwnTemp();
    throw error;
  }
  const discard = (connection: DuckDBConnection) => {
    // close() has closed every pooled connection already.
    if (pooled.delete(connection) && !closed) connection.closeSync();
  };
  const close = () => {
    if (closed) return;
    closed = true;
    for (const connection of pooled) connection.closeSync();
    pooled.clear();
    idle.length = 0;
    instance.closeSync();
    removeOwnTemp();
  };
  const giveBack = async (connection: DuckDBConnection, tempTables: readonly string[], finished: boolean) => {
    if (closed || retired || !pooled.has(connection)) {
      // Temp tables go with the connection.
      if (pooled.has(connection)) discard(connection);
      else if (!closed) connection.closeSync();
      return;
    }
    const cleanup = [
      ...tempTables.map((t) => `DROP TABLE IF EXISTS temp.${quoteIdentifier(t)};`),
      // Running any statement ends the connection's previous (abandoned) streaming result.
      ...(finished ? [] : ["SELECT 1;"]),
    ];
    if (cleanup.length > 0) {
      try {
        await connection.run(cleanup.join(" "));
      } catch {
        discard(connection);
        return;
      }
    }
    if (closed || retired) discard(connection);
    else idle.push(connection);
  };
  return {
    instance,
    acquire: async () => {
      if (closed) return undefined;
      active++;
      try {
        return idle.pop() ?? (await instance.connect());
      } catch (error) {
        active--;
        throw error;
      }
    },
    async release(connection, tempTables, finished = true) {
      try {
        await giveBack(connection, tempTables, finished);
      } finally {
        active--;
        if (retired && active === 0) close();
      }
    },
    retire() {
      retired = true;
      if (active === 0) close();
    },
    close,
  };
}
