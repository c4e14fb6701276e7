import { FusionError } from "@mlfusion/core";

/**
 * DuckDB errors -> FusionError: the query engine's one translation of its engine's failures. node-api raises plain
 * Errors whose message starts with DuckDB's error type ("Binder Error: ..."), the only structured field it exposes.
 */
export function fromDuckDBError(error: unknown, sql: string): FusionError {
  if (error instanceof FusionError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const match = /^([A-Za-z ]+?) Error: ([\s\S]*)$/.exec(message);
  const kind = match?.[1] ?? "";
  const detail = (match?.[2] ?? message).split("\n\nLINE ")[0]?.trim() ?? message;
  switch (kind) {
    case "Parser":
    case "Syntax":
      return new FusionError("INVALID_ARGUMENT", `SQL syntax error: ${detail}`, { cause: error, details: { sql } });
    case "Binder":
    case "Catalog":
    case "Conversion":
    case "Invalid Input":
    case "Out of Range":
    case "Constraint":
    case "Not implemented":
    case "Parameter Not Allowed":
    case "Parameter Not Resolved":
    case "Type Mismatch":
      return new FusionError("INVALID_ARGUMENT", `The query is invalid: ${detail}`, { cause: error, details: { sql } });
    case "Permission":
      return new FusionError("PERMISSION_DENIED", `The query was refused: ${detail}`, { cause: error });
    case "Out of Memory":
      return new FusionError("UNAVAILABLE", `The query ran out of memory: ${detail}; narrow it and retry.`, {
        cause: error,
      });
    default:
      return new FusionError("INTERNAL", `The query failed inside the engine: ${detail}`, { cause: error });
  }
}

/**
 * A syntax error from `json_serialize_sql`, with DuckDB's message and the position (byte offset, line and column,
 * 1-based) where it stopped.
 */
export function syntaxError(sql: string, message: string, position: number | undefined): FusionError {
  if (position === undefined) {
    return new FusionError("INVALID_ARGUMENT", `SQL syntax error: ${message}.`, { details: { sql } });
  }
  const before = Buffer.from(sql, "utf8").subarray(0, position).toString("utf8");
  const lines = before.split("\n");
  const line = lines.length;
  const column = (lines[lines.length - 1]?.length ?? 0) + 1;
  return new FusionError(
    "INVALID_ARGUMENT",
    `SQL syntax error at line ${line}, column ${column}: ${message}; fix the query and retry.`,
    { details: { sql, position, line, column } },
  );
}

/** The refusal for anything but one read-only SELECT statement. */
export function notASelectError(what: string): FusionError {
  return new FusionError(
    "PERMISSION_DENIED",
    `Only read-only SELECT queries over datasets are allowed (got ${what}); write data through the dataset APIs instead.`,
  );
}
