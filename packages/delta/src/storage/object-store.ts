/**
 * Metadata of one stored object. `path` is relative to the store's root and always uses `/`.
 */
export interface ObjectMeta {
  path: string;
  size: number;
  /** Last modification time, epoch milliseconds. */
  lastModified: number;
  /** True for the leftover of a write that never completed (listed only with `includeIncomplete`). */
  incomplete?: boolean;
}

/**
 * The small storage interface every Delta operation goes through. Paths are relative to the table root and
 * use `/`; implementations map them onto a local folder or an object-store bucket.
 *
 * The only atomic primitive the Delta protocol needs is `putIfAbsent` (PROTOCOL.md, "Commit Provenance" and
 * the log store requirements): object stores provide it through conditional writes (S3 `If-None-Match: *`).
 */
export interface ObjectStore {
  /** A human-readable location for messages, e.g. `/data/demo/table` or `s3://bucket/prefix`. */
  readonly location: string;
  /**
   * Lists objects whose path starts with `prefix` (a folder such as `_delta_log/` or any path prefix),
   * recursively, sorted by path. Missing folders list as empty.
   */
  list(
    prefix: string,
    options?: { startAfter?: string; signal?: AbortSignal; includeIncomplete?: boolean },
  ): Promise<ObjectMeta[]>;
  /** Metadata of one object; NotFoundError when absent. */
  head(path: string): Promise<ObjectMeta>;
  /** The whole object; NotFoundError when absent. */
  get(path: string, signal?: AbortSignal): Promise<Uint8Array>;
  /** Bytes [start, end) of an object; NotFoundError when absent. */
  getRange(path: string, start: number, end: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Writes (or replaces) an object atomically: readers see the old or the new content, never a torn write. */
  put(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void>;
  /**
   * Writes an object only if no object exists at `path`; AlreadyExistsError otherwise. This is the commit
   * primitive: two writers racing for the same log version cannot both win.
   */
  putIfAbsent(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void>;
  /**
   * Streams an object from chunks without holding it whole in memory; the object appears only when complete.
   */
  putStream(path: string, chunks: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<{ size: number }>;
  /** Deletes an object; deleting a missing object is not an error. */
  delete(path: string): Promise<void>;
}
