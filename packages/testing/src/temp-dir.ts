import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temporary directory that removes itself on `close()`. */
export interface TempDir {
  path: string;
  close(): Promise<void>;
}

/**
 * Creates a fresh temporary directory.
 *
 * @example
 * const dir = await createTempDir("delta-");
 * try { ... } finally { await dir.close(); }
 */
export async function createTempDir(prefix = "mlfusion-"): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, close: () => rm(path, { recursive: true, force: true }) };
}
