/**
 * The stable error codes of ML Fusion. Each boundary (gRPC status, CLI exit, Python exception) translates these
 * in exactly one module; never branch on message text.
 */
export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "CONFLICT"
  | "UNSUPPORTED_FEATURE"
  | "CORRUPT_TABLE"
  | "PERMISSION_DENIED"
  | "UNAUTHENTICATED"
  | "DEADLINE_EXCEEDED"
  | "CANCELLED"
  | "UNAVAILABLE"
  | "INTERNAL";

/** Options accepted by every FusionError. */
export interface FusionErrorOptions {
  cause?: unknown;
  /** Structured facts about the failure (paths, versions, column names), safe to log and show. */
  details?: Record<string, unknown>;
}

/**
 * The one error type of ML Fusion: a stable `code` plus a message that says what was wrong and what to do.
 *
 * @example
 * throw new FusionError("NOT_FOUND", "Dataset demo/x does not exist; list datasets with `fusion datasets ls`.");
 */
export class FusionError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: FusionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** Bad input from a caller: a malformed expression, a schema mismatch, an invalid name. */
export class InvalidArgumentError extends FusionError {
  constructor(message: string, options: FusionErrorOptions = {}) {
    super("INVALID_ARGUMENT", message, options);
  }
}

/** A table, dataset, version or file that does not exist. */
export class NotFoundError extends FusionError {
  constructor(message: string, options: FusionErrorOptions = {}) {
    super("NOT_FOUND", message, options);
  }
}

/** Something that must not exist yet already does (error-if-exists writes, put-if-absent commits). */
export class AlreadyExistsError extends FusionError {
  constructor(message: string, options: FusionErrorOptions = {}) {
    super("ALREADY_EXISTS", message, options);
  }
}

/** A commit lost a race with a logically conflicting commit. Retrying the whole operation may succeed. */
export class ConflictError extends FusionError {
  readonly retryable = true;
  constructor(message: string, options: FusionErrorOptions = {}) {
    super("CONFLICT", message, options);
  }
}

/** A table uses a protocol feature this implementation does not support; the message names the feature. */
export class UnsupportedFeatureError extends FusionError {
  readonly feature: string;
  constructor(feature: string, message: string, options: FusionErrorOptions = {}) {
    super("UNSUPPORTED_FEATURE", message, { ...options, details: { feature, ...options.details } });
    this.feature = feature;
  }
}

/** A table whose log or data violates the protocol (missing protocol/metadata, version gaps, corrupt JSON). */
export class CorruptTableError extends FusionError {
  constructor(message: string, options: FusionErrorOptions = {}) {
    super("CORRUPT_TABLE", message, options);
  }
}

/** Returns `error` if it is a FusionError, otherwise wraps it as INTERNAL while keeping the cause. */
export function toFusionError(error: unknown): FusionError {
  if (error instanceof FusionError) return error;
  if (isAbortError(error)) return new FusionError("CANCELLED", "The operation was cancelled.", { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new FusionError("INTERNAL", `Internal error: ${message}`, { cause: error });
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}
