import { CorruptTableError } from "@mlfusion/core";

/**
 * Decodes the URI-encoded `path` of an add/remove/sidecar action (PROTOCOL.md "Add File and Remove File": the
 * path is a URI, RFC 2396, e.g. `a%20b/part-0.parquet`). CorruptTableError for a malformed escape.
 */
export function decodeActionPath(path: string): string {
  if (!path.includes("%")) return path;
  try {
    return decodeURIComponent(path);
  } catch (error) {
    throw new CorruptTableError(
      `The log references a malformed file URI ${JSON.stringify(path)}; the log is damaged.`,
      {
        cause: error,
      },
    );
  }
}
