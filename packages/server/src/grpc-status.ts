/**
 * The one translation of FusionError codes into gRPC status codes (grpc/grpc doc/statuscodes.md). Codes are
 * chosen for the exception pyarrow.flight raises: NOT_FOUND -> FlightNotFound/KeyError, INVALID_ARGUMENT ->
 * ArrowInvalid, UNAUTHENTICATED -> FlightUnauthenticatedError, UNIMPLEMENTED -> NotImplementedError.
 */
import { type ErrorCode, toFusionError } from "@mlfusion/core";

/** gRPC status codes. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/** A status to end a call with. */
export interface CallStatus {
  code: GrpcStatusCode;
  message: string;
}

const codeMap: Record<ErrorCode, GrpcStatusCode> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  // A lost commit race: the whole operation may be retried (ABORTED is gRPC's retryable conflict).
  CONFLICT: GrpcStatus.ABORTED,
  // The table uses a feature this server cannot handle: the request is valid but cannot be served.
  UNSUPPORTED_FEATURE: GrpcStatus.UNIMPLEMENTED,
  CORRUPT_TABLE: GrpcStatus.DATA_LOSS,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  CANCELLED: GrpcStatus.CANCELLED,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  INTERNAL: GrpcStatus.INTERNAL,
};

/**
 * Maps any thrown value to the status sent to the client. Unknown errors become INTERNAL with a generic
 * message (their details go to the log, never to the caller).
 *
 * @example
 * toCallStatus(new NotFoundError("Dataset demo/x does not exist.")) // { code: 5, message: "Dataset demo/x ..." }
 */
export function toCallStatus(error: unknown): CallStatus {
  const fusion = toFusionError(error);
  const code = codeMap[fusion.code];
  if (code === GrpcStatus.INTERNAL) {
    return { code, message: "Internal server error; see the server log for details." };
  }
  return { code, message: fusion.message };
}

/** Percent-encodes a status message for the grpc-message trailer (PROTOCOL-HTTP2.md, "Status-Message"). */
export function encodeGrpcMessage(message: string): string {
  const bytes = Buffer.from(message, "utf8");
  let out = "";
  for (const byte of bytes) {
    if (byte >= 0x20 && byte <= 0x7e && byte !== 0x25) out += String.fromCharCode(byte);
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
