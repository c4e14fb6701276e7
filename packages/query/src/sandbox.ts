import { DuckDBInstance } from "@duckdb/node-api";
import { quoteLiteral } from "./sql/table-rewrite.js";

/**
 * Opens the in-memory DuckDB instance queries run in, locked down with DuckDB's own settings (measured with
 * @duckdb/node-api 1.5.6):
 * - `enable_external_access=false` refuses every file outside `allowed_directories` (read_csv('/etc/passwd'),
 *   COPY TO outside the data, http(s) URLs) and `INSTALL`/`LOAD` of non-built-in extensions;
 * - `allowed_directories` is the catalog's data folders, so the per-query views can read Parquet files there;
 * - extension autoinstall/autoload are off and `lock_configuration=true` refuses every later `SET`.
 * What these settings do NOT refuse (measured): COPY TO and EXPORT DATABASE into the data folders, glob() over
 * them, ATTACH ':memory:', CREATE TABLE. Those are refused before execution by the statement checks
 * (`parseSelect`: one SELECT only; `analyzeSelect`: no file-reading table functions).
 */
export async function openSandboxedInstance(dataDirectories: readonly string[]): Promise<DuckDBInstance> {
  const instance = await DuckDBInstance.create(":memory:", {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
    allow_community_extensions: "false",
    allow_unsigned_extensions: "false",
  });
  const connection = await instance.connect();
  try {
    const dirs = dataDirectories.map((d) => quoteLiteral(d.endsWith("/") ? d : `${d}/`));
    // Delta data files never change once written, so their Parquet footers can be cached across queries.
    await connection.run("SET parquet_metadata_cache = true");
    await connection.run(`SET allowed_directories = [${dirs.join(", ")}]`);
    await connection.run("SET enable_external_access = false");
    await connection.run("SET lock_configuration = true");
  } finally {
    connection.closeSync();
  }
  return instance;
}
