import type { ErrorCode } from "@mlfusion/core";

/** Process exit codes for failures, by error code (the CLI's one translation of FusionError). */
export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case "INVALID_ARGUMENT":
      return 2;
    case "NOT_FOUND":
      return 3;
    case "ALREADY_EXISTS":
      return 4;
    case "CONFLICT":
      return 5;
    case "UNSUPPORTED_FEATURE":
      return 6;
    case "CORRUPT_TABLE":
      return 7;
    case "UNAUTHENTICATED":
    case "PERMISSION_DENIED":
      return 8;
    case "UNAVAILABLE":
      return 9;
    case "DEADLINE_EXCEEDED":
    case "CANCELLED":
      return 10;
    case "INTERNAL":
      return 1;
  }
}
