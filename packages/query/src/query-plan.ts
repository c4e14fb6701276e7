import type { DuckDBConnection } from "@duckdb/node-api";
import type { AssetKey, DataFile, DatasetCatalog, DatasetSnapshot, TimeTravel } from "./dataset-catalog.js";
import { resolveAssetKey, timeTravelOf } from "./dataset-resolution.js";
import { skipFiles } from "./file-skipping.js";
import type { QueryGuard } from "./query-guard.js";
import { scanViewSql } from "./scan-view.js";
import { parseSelect } from "./sql/parse-select.js";
import { analyzeSelect, type ColumnFilter, type SelectAnalysis } from "./sql/select-analysis.js";
import { rewriteTableReferences, type TableReplacement } from "./sql/table-rewrite.js";

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

/** The SQL DuckDB runs (datasets replaced by file scans) and how each dataset reference is read. */
export interface PlannedQuery {
  sql: string;
  scans: DatasetScan[];
}

/** Parses, checks and resolves the query, skips files, and replaces each dataset reference by a scan of its files. */
export async function plan(
  connection: DuckDBConnection,
  catalog: DatasetCatalog,
  sql: string,
  guard: QueryGuard,
  tableNames: Readonly<Record<string, AssetKey>>,
  signal: AbortSignal | undefined,
  tempTables: string[],
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
      const key = await resolveAssetKey(ref, list, tableNames);
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
    const deletedRows = await loadDeletedRows(connection, files, `__fusion_deleted_${i}`, guard, signal, tempTables);
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
 * column `row_index`), which the scan anti-joins on `file_row_number`. Each table created is added to `created`.
 */
async function loadDeletedRows(
  connection: DuckDBConnection,
  files: readonly DataFile[],
  prefix: string,
  guard: QueryGuard,
  signal: AbortSignal | undefined,
  created: string[],
): Promise<Map<DataFile, string>> {
  const tables = new Map<DataFile, string>();
  for (const [n, file] of files.entries()) {
    if (file.deletionVector === undefined) continue;
    const rows = await file.deletionVector.load(signal);
    guard.check();
    const table = `${prefix}_${n}`;
    await connection.run(`CREATE TEMP TABLE ${table} (row_index BIGINT)`);
    created.push(table);
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
