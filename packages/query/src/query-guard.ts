import type { DuckDBConnection } from "@duckdb/node-api";
import { FusionError } from "@mlfusion/core";
import { fromDuckDBError } from "./query-errors.js";

/** Deadline and cancellation for one query: interrupts DuckDB and remembers why. */
export interface QueryGuard {
  check(): void;
  translate(error: unknown, sql: string): FusionError;
  /** Interrupts DuckDB's work on the query without recording a reason (its consumer stopped reading). */
  halt(): void;
  dispose(): void;
}

/** Arms the query's time limit and its AbortSignal; both interrupt DuckDB on `connection`. */
export function createGuard(
  connection: DuckDBConnection,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): QueryGuard {
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
    halt: () => connection.interrupt(),
    dispose: () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}
