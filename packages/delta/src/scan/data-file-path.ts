import { basename, dirname, isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { UnsupportedFeatureError } from "@mlfusion/core";
import { decodeActionPath } from "../log/action-path.js";
import { createLocalObjectStore } from "../storage/local-object-store.js";
import type { ObjectStore } from "../storage/object-store.js";

// `add.path` is a URI (PROTOCOL.md "Add File and Remove File"): relative to the table root with %-escapes
// (`a%20b/part-0.parquet`), or absolute (`file:/data/t/part-0.parquet`, `s3://bucket/t/part-0.parquet`).

/** Where to read a data file: the table's store and a relative path, or another store for an outside file. */
export function resolveDataFile(store: ObjectStore, addPath: string): { store: ObjectStore; path: string } {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(addPath)?.[1];
  if (scheme === undefined || scheme.length === 1) {
    // A relative URI; a bare absolute POSIX path is also accepted (some writers emit one).
    const decoded = decodeActionPath(addPath);
    if (isAbsolute(decoded) && !decoded.startsWith("./")) return localFile(store, decoded);
    return { store, path: decoded };
  }
  if (scheme.toLowerCase() === "file") {
    const absolute = fileURLToPath(addPath.replace(/^file:(?!\/\/)/i, "file://"));
    return localFile(store, absolute);
  }
  const root = store.location.endsWith("/") ? store.location : `${store.location}/`;
  if (addPath.startsWith(root)) return { store, path: decodeActionPath(addPath.slice(root.length)) };
  throw new UnsupportedFeatureError(
    `${scheme} paths`,
    `The table references a data file at ${addPath}; reading files outside the table's store (${scheme}://) is not supported yet.`,
  );
}

function localFile(store: ObjectStore, absolute: string): { store: ObjectStore; path: string } {
  const root = store.location.endsWith("/") ? store.location : `${store.location}/`;
  if (absolute.startsWith(root)) return { store, path: absolute.slice(root.length) };
  if (!store.location.startsWith("/")) {
    throw new UnsupportedFeatureError(
      "absolute local paths",
      `The table references the local file ${absolute}, but the table is not on the local file system.`,
    );
  }
  return { store: createLocalObjectStore(dirname(absolute)), path: basename(absolute) };
}
