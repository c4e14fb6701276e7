/**
 * The one translation of gRPC statuses into client errors. Every error is a FusionError with the stable code
 * a caller branches on; the classes below exist for `instanceof` checks.
 */
import {
  AlreadyExistsError,
  ConflictError,
  type ErrorCode,
  FusionError,
  InvalidArgumentError,
  NotFoundError,
} from "@mlfusion/core";

/** The server rejected the credentials (wrong or missing token). */
export class UnauthenticatedError extends FusionError {
  constructor(message: string) {
    super("UNAUTHENTICATED", message);
  }
}

/** The server could not be reached or went away. */
export class ServiceUnavailableError extends FusionError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("UNAVAILABLE", message, options);
  }
}

const statusCodes: Record<number, ErrorCode> = {
  1: "CANCELLED",
  2: "INTERNAL",
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  5: "NOT_FOUND",
  6: "ALREADY_EXISTS",
  7: "PERMISSION_DENIED",
  8: "INVALID_ARGUMENT",
  9: "UNSUPPORTED_FEATURE",
  10: "CONFLICT",
  11: "INVALID_ARGUMENT",
  12: "UNSUPPORTED_FEATURE",
  13: "INTERNAL",
  14: "UNAVAILABLE",
  15: "CORRUPT_TABLE",
  16: "UNAUTHENTICATED",
};

/**
 * The error for a non-OK gRPC status.
 *
 * @example
 * fromGrpcStatus(5, "Dataset demo/x does not exist.") instanceof NotFoundError // true
 */
export function fromGrpcStatus(status: number, message: string): FusionError {
  const code = statusCodes[status] ?? "INTERNAL";
  const text = message === "" ? `The server answered with gRPC status ${status}.` : message;
  const details = { grpcStatus: status };
  switch (code) {
    case "NOT_FOUND":
      return new NotFoundError(text, { details });
    case "INVALID_ARGUMENT":
      return new InvalidArgumentError(text, { details });
    case "ALREADY_EXISTS":
      return new AlreadyExistsError(text, { details });
    case "CONFLICT":
      return new ConflictError(text, { details });
    case "UNAUTHENTICATED":
      return new UnauthenticatedError(text);
    case "UNAVAILABLE":
      return new ServiceUnavailableError(text);
    default:
      return new FusionError(code, text, { details });
  }
}

/** Decodes a percent-encoded grpc-message trailer. */
export function decodeGrpcMessage(value: string | undefined): string {
  if (value === undefined) return "";
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
