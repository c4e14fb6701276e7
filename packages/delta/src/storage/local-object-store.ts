import { randomUUID } from "node:crypto";
import { type FileHandle, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from "@mlfusion/core";
import type { ObjectMeta, ObjectStore } from "./object-store.js";

/** Name prefix of the temporary files a write goes through before it is renamed or linked into place. */
const TEMP_PREFIX = ".tmp-";

/**
 * An ObjectStore over a local folder: the embedded default. Writes go to a temporary file first and are
 * renamed (put) or hard-linked (putIfAbsent, atomic and exclusive on POSIX file systems) into place, so a
 * crash never leaves a torn object behind. The temporary file is fsynced before it is linked or renamed, and the
 * folder after, so an object a write has returned for survives a power loss with its content: without that, the
 * new name can reach the disk before the data, leaving e.g. a zero-length commit JSON.
 *
 * @example
 * const store = createLocalObjectStore("/data/demo/table");
 * await store.putIfAbsent("_delta_log/00000000000000000000.json", bytes);
 */
export function createLocalObjectStore(root: string): ObjectStore {
  return new LocalObjectStore(resolve(root));
}

class LocalObjectStore implements ObjectStore {
  readonly location: string;

  constructor(private readonly root: string) {
    this.location = root;
  }

  private resolvePath(path: string): string {
    const full = resolve(this.root, path);
    if (full !== this.root && !full.startsWith(this.root + sep)) {
      throw new InvalidArgumentError(`Path ${JSON.stringify(path)} escapes the table root ${this.root}.`);
    }
    return full;
  }

  async list(
    prefix: string,
    options: { startAfter?: string; signal?: AbortSignal; includeIncomplete?: boolean } = {},
  ): Promise<ObjectMeta[]> {
    const slash = prefix.lastIndexOf("/");
    const folder = slash >= 0 ? prefix.slice(0, slash) : "";
    const out: ObjectMeta[] = [];
    await this.walk(this.resolvePath(folder), out, options.signal, options.includeIncomplete === true);
    const startAfter = options.startAfter;
    return out
      .filter((o) => o.path.startsWith(prefix) && (startAfter === undefined || o.path > startAfter))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private async walk(
    dir: string,
    out: ObjectMeta[],
    signal: AbortSignal | undefined,
    includeIncomplete: boolean,
  ): Promise<void> {
    signal?.throwIfAborted();
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) return;
      throw error;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        await this.walk(full, out, signal, includeIncomplete);
      } else if (entry.isFile()) {
        // Temporary files of this store: writes in flight, or leftovers of a crashed process.
        const incomplete = entry.name.startsWith(TEMP_PREFIX);
        if (incomplete && !includeIncomplete) continue;
        const info = await stat(full).catch((error: unknown) => {
          if (isErrno(error, "ENOENT")) return undefined; // removed while listing
          throw error;
        });
        if (info === undefined) continue;
        const meta: ObjectMeta = {
          path: toPosix(relative(this.root, full)),
          size: info.size,
          lastModified: info.mtimeMs,
        };
        if (incomplete) meta.incomplete = true;
        out.push(meta);
      }
    }
  }

  async head(path: string): Promise<ObjectMeta> {
    try {
      const info = await stat(this.resolvePath(path));
      return { path, size: info.size, lastModified: info.mtimeMs };
    } catch (error) {
      throw this.mapNotFound(error, path);
    }
  }

  async get(path: string, signal?: AbortSignal): Promise<Uint8Array> {
    try {
      const options = signal === undefined ? {} : { signal };
      const buffer = await readFile(this.resolvePath(path), options);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      throw this.mapNotFound(error, path);
    }
  }

  async getRange(path: string, start: number, end: number, signal?: AbortSignal): Promise<Uint8Array> {
    signal?.throwIfAborted();
    let handle: import("node:fs/promises").FileHandle;
    try {
      handle = await open(this.resolvePath(path), "r");
    } catch (error) {
      throw this.mapNotFound(error, path);
    }
    try {
      const length = Math.max(0, end - start);
      const out = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(out, filled, length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled === length ? out : out.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  async put(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    const target = this.resolvePath(path);
    const temp = await this.writeTemp(target, data, signal);
    try {
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await syncDirectory(dirname(target));
  }

  async putIfAbsent(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    const target = this.resolvePath(path);
    const temp = await this.writeTemp(target, data, signal);
    try {
      // link(2) fails with EEXIST when the target exists: an atomic, exclusive create of complete content.
      await link(temp, target);
    } catch (error) {
      if (isErrno(error, "EEXIST")) {
        throw new AlreadyExistsError(`${path} already exists in ${this.location}.`, { cause: error });
      }
      throw error;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    await syncDirectory(dirname(target));
  }

  async putStream(path: string, chunks: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<{ size: number }> {
    const target = this.resolvePath(path);
    const temp = await this.createTemp(target);
    let size = 0;
    try {
      const handle = await open(temp, "wx");
      try {
        // Awaiting each write is the backpressure, and the descriptor stays ours for the fsync below.
        for await (const chunk of chunks) {
          signal?.throwIfAborted();
          let written = 0;
          while (written < chunk.byteLength) {
            const { bytesWritten } = await handle.write(chunk, written, chunk.byteLength - written);
            written += bytesWritten;
          }
          size += chunk.byteLength;
        }
        signal?.throwIfAborted();
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await syncDirectory(dirname(target));
    return { size };
  }

  async delete(path: string): Promise<void> {
    await rm(this.resolvePath(path), { force: true });
  }

  /** Writes `data` to a new temporary file beside `target` and fsyncs it: one open, write, sync and close. */
  private async writeTemp(target: string, data: Uint8Array, signal: AbortSignal | undefined): Promise<string> {
    const temp = await this.createTemp(target);
    try {
      const handle = await open(temp, "wx");
      try {
        await handle.writeFile(data, signal === undefined ? {} : { signal });
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return temp;
  }

  /**
   * The path of a fresh temporary file beside `target`, creating its folder if needed. Folders created here are
   * made durable too (each one's entry in its parent is fsynced), or a power loss could drop a whole new folder
   * such as `_delta_log/` with the objects written into it.
   */
  private async createTemp(target: string): Promise<string> {
    const dir = dirname(target);
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined) {
      // `created` is the first folder mkdir made; its parent and every folder down to `dir`'s parent gained an entry.
      const parents: string[] = [];
      for (let d = dir; d !== dirname(created) && d !== dirname(d); d = dirname(d)) parents.push(dirname(d));
      for (const parent of parents.reverse()) await syncDirectory(parent);
    }
    return join(dir, `${TEMP_PREFIX}${randomUUID()}`);
  }

  private mapNotFound(error: unknown, path: string): unknown {
    if (isErrno(error, "ENOENT") || isErrno(error, "EISDIR")) {
      return new NotFoundError(`${path} does not exist in ${this.location}.`, { cause: error });
    }
    return error;
  }
}

/**
 * fsyncs a folder, so that the entries a rename, link or mkdir made in it survive a power loss (POSIX fsync(2)
 * of the file alone does not cover its name).
 */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(dir, "r");
  } catch (error) {
    // Windows cannot open a folder as a file (EISDIR) and has no folder fsync; NTFS journals the entry itself.
    if (process.platform === "win32" && (isErrno(error, "EISDIR") || isErrno(error, "EPERM"))) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    // File systems without folder fsync (some network and FUSE mounts) answer EINVAL: nothing more can be done.
    if (!isErrno(error, "EINVAL")) throw error;
  } finally {
    await handle.close();
  }
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && "code" in error && error.code === code;
}

function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}
