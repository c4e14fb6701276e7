import { FusionError } from "@mlfusion/core";
import type { TableReference } from "./select-analysis.js";

/** One table reference to replace in the SQL text by the relation that reads its files. */
export interface TableReplacement {
  readonly ref: TableReference;
  /** A view name or a parenthesised subquery, inserted as is. */
  readonly relation: string;
}

/**
 * Rewrites the SQL text so that each dataset reference reads its per-query relation: the qualified name is replaced,
 * the `AT (...)` clause removed, and the original table name kept as the alias so that `table.column` still binds.
 * Works on UTF-8 byte offsets, as DuckDB's parse tree reports them; the rest of the text is untouched.
 */
export function rewriteTableReferences(sql: string, replacements: readonly TableReplacement[]): string {
  const bytes = Buffer.from(sql, "utf8");
  const edits: { start: number; end: number; text: string }[] = [];
  for (const { ref, relation } of replacements) {
    const name = scanQualifiedName(bytes, ref.location);
    const expected = [ref.catalog, ref.schema, ref.table].filter((p) => p !== "");
    if (name === undefined || !sameParts(name.parts, expected)) {
      throw new FusionError("INVALID_ARGUMENT", `Could not locate the table ${expected.join(".")} in the query text.`);
    }
    const alias = ref.alias !== "" ? "" : ` AS ${quoteIdentifier(ref.table)}`;
    edits.push({ start: ref.location, end: name.end, text: `${relation}${alias}` });
    if (ref.at !== undefined) {
      const at = scanAtClause(bytes, name.end);
      if (at === undefined)
        throw new FusionError("INVALID_ARGUMENT", `Could not locate the AT clause of ${ref.table}.`);
      edits.push({ start: at.start, end: at.end, text: "" });
    }
  }
  edits.sort((a, b) => a.start - b.start);
  const parts: Buffer[] = [];
  let cursor = 0;
  for (const edit of edits) {
    if (edit.start < cursor) throw new FusionError("INTERNAL", "Overlapping table references in the query text.");
    parts.push(bytes.subarray(cursor, edit.start), Buffer.from(edit.text, "utf8"));
    cursor = edit.end;
  }
  parts.push(bytes.subarray(cursor));
  return Buffer.concat(parts).toString("utf8");
}

/** Quotes an identifier for DuckDB SQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal for DuckDB SQL. */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function sameParts(found: readonly string[], expected: readonly string[]): boolean {
  return found.length === expected.length && found.every((p, i) => p.toLowerCase() === expected[i]?.toLowerCase());
}

const DOT = 0x2e;
const QUOTE = 0x22;
const OPEN = 0x28;
const CLOSE = 0x29;
const SINGLE = 0x27;

function isIdentStart(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b >= 0x80);
}

function isIdentPart(b: number | undefined): boolean {
  return isIdentStart(b) || (b !== undefined && ((b >= 0x30 && b <= 0x39) || b === 0x24));
}

/** Skips whitespace and comments (`-- ...`, `/* ... *\/`). */
function skipSpace(bytes: Buffer, at: number): number {
  let i = at;
  for (;;) {
    const b = bytes[i];
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) i++;
    else if (b === 0x2d && bytes[i + 1] === 0x2d) {
      while (i < bytes.length && bytes[i] !== 0x0a) i++;
    } else if (b === 0x2f && bytes[i + 1] === 0x2a) {
      const end = bytes.indexOf("*/", i + 2);
      i = end < 0 ? bytes.length : end + 2;
    } else return i;
  }
}

function scanIdentifier(bytes: Buffer, at: number): { text: string; end: number } | undefined {
  if (bytes[at] === QUOTE) {
    let i = at + 1;
    const out: Buffer[] = [];
    let from = i;
    for (;;) {
      if (i >= bytes.length) return undefined;
      if (bytes[i] === QUOTE) {
        out.push(bytes.subarray(from, i));
        if (bytes[i + 1] === QUOTE) {
          out.push(Buffer.from('"'));
          i += 2;
          from = i;
          continue;
        }
        return { text: Buffer.concat(out).toString("utf8"), end: i + 1 };
      }
      i++;
    }
  }
  if (!isIdentStart(bytes[at])) return undefined;
  let i = at;
  while (isIdentPart(bytes[i])) i++;
  return { text: bytes.subarray(at, i).toString("utf8"), end: i };
}

function scanQualifiedName(bytes: Buffer, at: number): { parts: string[]; end: number } | undefined {
  const parts: string[] = [];
  let i = at;
  for (;;) {
    const ident = scanIdentifier(bytes, i);
    if (ident === undefined) return undefined;
    parts.push(ident.text);
    const next = skipSpace(bytes, ident.end);
    if (bytes[next] !== DOT) return { parts, end: ident.end };
    i = skipSpace(bytes, next + 1);
  }
}

/** Finds `[AS] alias AT ( ... )` after a table name and returns the span of `AT ( ... )`. */
function scanAtClause(bytes: Buffer, from: number): { start: number; end: number } | undefined {
  let i = skipSpace(bytes, from);
  for (let words = 0; words < 3; words++) {
    const word = scanIdentifier(bytes, i);
    if (word === undefined) return undefined;
    if (bytes[i] !== QUOTE && word.text.toUpperCase() === "AT") {
      const open = skipSpace(bytes, word.end);
      if (bytes[open] !== OPEN) return undefined;
      const close = matchParen(bytes, open);
      return close === undefined ? undefined : { start: i, end: close + 1 };
    }
    i = skipSpace(bytes, word.end);
  }
  return undefined;
}

function matchParen(bytes: Buffer, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === SINGLE || b === QUOTE) {
      const end = bytes.indexOf(b, i + 1);
      if (end < 0) return undefined;
      i = end;
    } else if (b === OPEN) depth++;
    else if (b === CLOSE && --depth === 0) return i;
  }
  return undefined;
}
