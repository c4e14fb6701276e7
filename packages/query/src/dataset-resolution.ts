import { FusionError, NotFoundError } from "@mlfusion/core";
import { type AssetKey, formatAssetKey, type TimeTravel } from "./dataset-catalog.js";
import type { TableReference } from "./sql/select-analysis.js";

/**
 * The quoting rule: a table name in SQL names a dataset by its asset key.
 * - `"demo"."model_training"."dataset"` (up to three dot-separated identifiers) is the key
 *   `demo/model_training/dataset`; inside any identifier `/` also separates segments, so `"demo/model_training"."dataset"`
 *   (how Flight SQL lists it) and `"a/b/c/d"` (a key of any depth) work too;
 * - a single name without slashes, `dataset`, is the dataset whose key is exactly `[dataset]`, else the one dataset
 *   whose last segment is `dataset` (ambiguity is an error that lists the candidates).
 * Quote segments that are not plain identifiers (`"my-area"`); DuckDB keeps their case either way.
 * `tableNames` (per query) maps extra one-identifier names to keys and is consulted first.
 */
export async function resolveAssetKey(
  ref: TableReference,
  listing: () => Promise<AssetKey[]>,
  tableNames: Readonly<Record<string, AssetKey>> = {},
): Promise<AssetKey> {
  const parts = [ref.catalog, ref.schema, ref.table].filter((p) => p !== "");
  if (parts.length === 1) {
    const named = Object.entries(tableNames).find(([name]) => name.toLowerCase() === ref.table.toLowerCase());
    if (named !== undefined) return named[1];
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref.table) || /^[./~\\]/.test(ref.table)) {
    // DuckDB would read `FROM 'file.csv'` or a URL as a "replacement scan"; only datasets may be read.
    throw new FusionError(
      "PERMISSION_DENIED",
      `Queries may read registered datasets only, not files or URLs (${ref.table}); name a dataset by its key.`,
    );
  }
  if (parts.length > 1 || ref.table.includes("/")) return parts.flatMap((p) => p.split("/")).filter((p) => p !== "");
  const all = await listing();
  const exact = all.find((k) => k.length === 1 && k[0] === ref.table);
  if (exact !== undefined) return exact;
  const matches = all.filter((k) => k[k.length - 1] === ref.table);
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  if (matches.length === 0) {
    throw new NotFoundError(
      `No dataset named ${ref.table}; name it by its full key, e.g. "area"."${ref.table}", and list datasets to check.`,
      { details: { table: ref.table } },
    );
  }
  throw new FusionError(
    "INVALID_ARGUMENT",
    `The table name ${ref.table} is ambiguous (${matches.map(formatAssetKey).join(", ")}); qualify it, e.g. ${quoteKey(matches[0] ?? [])}.`,
  );
}

/** The time travel a reference's `AT (...)` clause asks for. */
export function timeTravelOf(ref: TableReference): TimeTravel | undefined {
  if (ref.at === undefined) return undefined;
  const lit = ref.at.literal;
  if (ref.at.unit === "VERSION") {
    if (lit?.kind === "number" && Number.isInteger(lit.value) && lit.value >= 0) return { version: lit.value };
    throw new FusionError(
      "INVALID_ARGUMENT",
      `AT (VERSION => ...) on ${ref.table} takes a non-negative integer literal, e.g. AT (VERSION => 3).`,
    );
  }
  if (lit?.kind === "number" && Number.isFinite(lit.value)) return { timestamp: lit.value };
  if (lit?.kind === "timestamp" || lit?.kind === "string" || lit?.kind === "date") {
    const ms = parseTimestampLiteral(lit.value);
    if (ms !== undefined) return { timestamp: ms };
  }
  throw new FusionError(
    "INVALID_ARGUMENT",
    `AT (TIMESTAMP => ...) on ${ref.table} takes a timestamp literal, e.g. AT (TIMESTAMP => '2024-05-01 12:00:00') (UTC unless it has an offset).`,
  );
}

/** `YYYY-MM-DD[ HH:MM[:SS[.fff]]][Z|±HH:MM]` as epoch ms; no offset means UTC. */
export function parseTimestampLiteral(text: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
    text.trim(),
  );
  if (m === null) return undefined;
  const time = m[2] ?? "00:00:00";
  let zone = m[3] ?? "Z";
  if (/^[+-]\d{2}$/.test(zone)) zone = `${zone}:00`;
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${time}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A key in the SQL quoting rule: `"demo"."model_training"."dataset"`, or `"a/b/c"."d"` beyond three segments. */
export function quoteKey(key: AssetKey): string {
  const parts = key.length > 3 ? [key.slice(0, -1).join("/"), key[key.length - 1] ?? ""] : key;
  return parts.map((s) => `"${s.replace(/"/g, '""')}"`).join(".");
}
