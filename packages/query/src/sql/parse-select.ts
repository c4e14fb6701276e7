import type { DuckDBConnection } from "@duckdb/node-api";
import { FusionError } from "@mlfusion/core";
import { notASelectError, syntaxError } from "../query-errors.js";
import { type AstNode, child, isNode, list, str } from "./sql-ast.js";

/**
 * Parses `sql` with DuckDB's own parser (the built-in `json_serialize_sql`) and returns the tree of its single
 * SELECT statement. Syntax errors -> INVALID_ARGUMENT with DuckDB's message and position; more than one statement
 * or anything but SELECT (COPY, ATTACH, INSTALL, LOAD, SET, PRAGMA, DDL, DML) -> PERMISSION_DENIED.
 */
export async function parseSelect(connection: DuckDBConnection, sql: string): Promise<AstNode> {
  if (sql.trim() === "") throw new FusionError("INVALID_ARGUMENT", "The query is empty; pass one SELECT statement.");
  const text = await serializedTree(connection, sql);
  // Parsed afresh on every call: callers get a tree of their own even when the text came from the cache.
  const tree: unknown = JSON.parse(text);
  if (!isNode(tree)) throw new FusionError("INTERNAL", "DuckDB returned a malformed parse tree.");
  if (tree.error === true) {
    const errorType = str(tree, "error_type");
    const message = str(tree, "error_message");
    if (errorType === "parser") {
      const position = Number.parseInt(str(tree, "position"), 10);
      throw syntaxError(sql, message, Number.isNaN(position) ? undefined : position);
    }
    // json_serialize_sql serialises SELECT statements only: everything else lands here.
    throw notASelectError("a statement that is not SELECT");
  }
  const statements = list(tree, "statements").filter(isNode);
  if (statements.length !== 1) throw notASelectError(`${statements.length} statements`);
  const node = statements[0] === undefined ? undefined : child(statements[0], "node");
  if (node === undefined) throw new FusionError("INTERNAL", "DuckDB returned a parse tree without a statement.");
  return node;
}

/**
 * Parse trees of recent queries, by query text: `json_serialize_sql` depends only on the text and DuckDB's parser
 * (the pinned library; no parser setting can change, the configuration is locked), so repeated queries skip one
 * DuckDB round trip. Bounded in entries and in the size of the texts kept; least recently used first out.
 */
const MAX_CACHED_TREES = 128;
const MAX_CACHED_SQL_LENGTH = 16 * 1024;
const treeCache = new Map<string, string>();

async function serializedTree(connection: DuckDBConnection, sql: string): Promise<string> {
  const hit = treeCache.get(sql);
  if (hit !== undefined) {
    treeCache.delete(sql);
    treeCache.set(sql, hit);
    return hit;
  }
  const reader = await connection.runAndReadAll("SELECT json_serialize_sql($1::VARCHAR)", [sql]);
  const text = reader.getRows()[0]?.[0];
  if (typeof text !== "string") throw new FusionError("INTERNAL", "DuckDB returned no parse tree for the query.");
  if (sql.length <= MAX_CACHED_SQL_LENGTH && text.length <= 8 * MAX_CACHED_SQL_LENGTH) {
    treeCache.set(sql, text);
    while (treeCache.size > MAX_CACHED_TREES) {
      const oldest = treeCache.keys().next().value;
      if (oldest === undefined) break;
      treeCache.delete(oldest);
    }
  }
  return text;
}
