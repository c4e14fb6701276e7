/**
 * The datasets of a workspace as Delta tables: one table per asset key at `<dataRoot>/<seg1>/.../<name>`, plus
 * existing tables registered at other paths (kept in `<dataRoot>/.registry.json`). Asset keys are validated
 * before any path is built, and every path is checked to stay inside the data root.
 */
import { randomUUID } from "node:crypto";
import { readdir, realpath, rename, rm, rmdir, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import {
  AlreadyExistsError,
  createSilentLogger,
  FusionError,
  InvalidArgumentError,
  type Logger,
  NotFoundError,
} from "@mlfusion/core";
import {
  createLocalObjectStore,
  DeltaTable,
  listLogFiles,
  type ObjectStore,
  readHistory,
  updateTableMetadata,
  vacuum,
  writeDeltaTable,
} from "@mlfusion/delta";
import { ExternalTableRegistry } from "@mlfusion/query";
import { type RecordBatch, type Schema, Table } from "apache-arrow";
import { type AssetKey, formatAssetKey, validateAssetKey } from "./asset-key.js";
import {
  checkAppendSchema,
  type DatasetCatalog,
  type DatasetInfo,
  type DatasetMetadata,
  type HistoryEntry,
  type MetadataUpdate,
  type ReadOptions,
  type VacuumRequest,
  type WriteOptions,
  type WriteResult,
} from "./dataset-catalog.js";
import { singleChunkDictionaries } from "./dictionary-chunks.js";

const TAG_PREFIX = "mlfusion.tag.";
const PROPERTY_PREFIX = "mlfusion.property.";

/**
 * Creates the Delta-backed catalog over a data root (created when missing).
 *
 * @example
 * const server = await startFlightServer({ catalog: createDeltaDatasetCatalog("/work/.mlfusion/data"), port: 0 });
 */
export function createDeltaDatasetCatalog(dataRoot: string, options: { logger?: Logger } = {}): DatasetCatalog {
  const catalog = new DeltaDatasetCatalog(resolve(dataRoot), options.logger ?? createSilentLogger());
  void catalog.sweepTrash();
  return catalog;
}

/** Prefix of the hidden folders a drop renames a dataset to before deleting it. */
const TRASH_PREFIX = ".trash-";

class DeltaDatasetCatalog implements DatasetCatalog {
  private readonly registry: ExternalTableRegistry;
  /**
   * Writes share a dataset (Delta's optimistic concurrency settles their commits); drop and vacuum take it alone,
   * so neither deletes files of a write that has not committed yet. In-process only: one server per data root.
   */
  private readonly locks = new KeyedLock();

  constructor(
    private readonly root: string,
    private readonly log: Logger,
  ) {
    this.registry = new ExternalTableRegistry(root);
  }

  /** The folder of a dataset inside the data root; throws if it would leave the root. */
  private ownPath(key: AssetKey): string {
    const path = resolve(this.root, ...validateAssetKey(key));
    const rel = relative(this.root, path);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
      throw new InvalidArgumentError(`Asset key ${formatAssetKey(key)} does not name a folder inside the data root.`);
    }
    return path;
  }

  private async location(key: AssetKey): Promise<{ path: string; registered: boolean }> {
    const registered = (await this.registry.read())[formatAssetKey(validateAssetKey(key))];
    if (registered !== undefined) return { path: registered, registered: true };
    return { path: this.ownPath(key), registered: false };
  }

  private async store(key: AssetKey): Promise<ObjectStore> {
    return createLocalObjectStore((await this.location(key)).path);
  }

  private async open(key: AssetKey, options: { version?: number; timestamp?: string } = {}) {
    const store = await this.store(key);
    try {
      return { store, table: await DeltaTable.open(store, options) };
    } catch (error) {
      if (error instanceof FusionError && error.code === "NOT_FOUND") {
        const what = options.version !== undefined || options.timestamp !== undefined ? " at that version" : "";
        throw new NotFoundError(
          `Dataset ${formatAssetKey(key)} does not exist${what}; list datasets with \`fusion datasets ls\`.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async list(prefix: AssetKey, signal?: AbortSignal): Promise<AssetKey[]> {
    const keys: AssetKey[] = [];
    await this.walk(this.root, [], keys, signal);
    for (const name of Object.keys(await this.registry.read())) keys.push(name.split("/"));
    const matching = keys.filter((key) => prefix.every((segment, i) => key[i] === segment));
    const unique = new Map(matching.map((key) => [formatAssetKey(key), key]));
    return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, key]) => key);
  }

  private async walk(dir: string, key: string[], out: AssetKey[], signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) return;
      throw error;
    }
    // A `_delta_log/` without a commit is what a first write that crashed leaves: not a dataset, so look on below.
    if (key.length > 0 && entries.some((e) => e.isDirectory() && e.name === "_delta_log")) {
      if (await isDeltaTableFolder(dir)) {
        out.push([...key]);
        return;
      }
    }
    if (key.length >= 16) return;
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith(".") || entry.name === "_delta_log") continue;
      await this.walk(join(dir, entry.name), [...key, entry.name], out, signal);
    }
  }

  async info(key: AssetKey, options: { version?: number; timestamp?: string } = {}): Promise<DatasetInfo> {
    const { table } = await this.open(key, options);
    const stats = table.fileStats();
    return {
      key: [...key],
      version: table.version,
      schema: table.schema(),
      partitionColumns: [...table.partitionColumns],
      totalRecords: stats.numRecords,
      totalBytes: stats.sizeBytes,
      metadata: toDatasetMetadata(key, table.metadata),
    };
  }

  async read(key: AssetKey, options: ReadOptions): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch> }> {
    const open: { version?: number; timestamp?: string } = {};
    if (options.version !== undefined) open.version = options.version;
    if (options.timestamp !== undefined) open.timestamp = options.timestamp;
    const { table } = await this.open(key, open);
    const full = table.schema();
    const columns = options.columns !== undefined && options.columns.length > 0 ? [...options.columns] : undefined;
    if (columns !== undefined) {
      const missing = columns.filter((c) => full.fields.every((f) => f.name !== c));
      if (missing.length > 0) {
        throw new InvalidArgumentError(
          `Columns ${missing.join(", ")} do not exist in ${formatAssetKey(key)}; its columns are ${full.fields.map((f) => f.name).join(", ")}.`,
        );
      }
    }
    const scan: { columns?: string[]; filter?: string; signal?: AbortSignal } = {};
    if (columns !== undefined) scan.columns = columns;
    if (options.filter !== undefined && options.filter !== "") scan.filter = options.filter;
    if (options.signal !== undefined) scan.signal = options.signal;
    const iterator = table.scan(scan)[Symbol.asyncIterator]();
    const first = await iterator.next();
    const schema = first.done ? (columns === undefined ? full : full.select(columns)) : first.value.schema;
    async function* batches(): AsyncGenerator<RecordBatch> {
      try {
        if (first.done) return;
        yield first.value;
        while (true) {
          const next = await iterator.next();
          if (next.done) return;
          yield next.value;
        }
      } finally {
        await iterator.return?.();
      }
    }
    return { schema, batches: batches() };
  }

  async write(
    key: AssetKey,
    schema: Schema,
    batches: AsyncIterable<RecordBatch>,
    options: WriteOptions,
  ): Promise<WriteResult> {
    return this.locks.run(lockName(key), "shared", () => this.writeLocked(key, schema, batches, options));
  }

  private async writeLocked(
    key: AssetKey,
    schema: Schema,
    batches: AsyncIterable<RecordBatch>,
    options: WriteOptions,
  ): Promise<WriteResult> {
    const { path, registered } = await this.location(key);
    const store = createLocalObjectStore(path);
    const existing = await this.existingSchema(key);
    if (existing === undefined && !registered) await this.assertNotNested(key, path);
    if (options.mode === "append" && existing !== undefined) checkAppendSchema(existing, schema);
    // Peek so that an empty stream still creates the table with the sender's schema.
    const iterator = singleChunkDictionaries(batches)[Symbol.asyncIterator]();
    const first = await iterator.next();
    const data = first.done
      ? new Table(schema)
      : (async function* () {
          yield first.value;
          while (true) {
            const next = await iterator.next();
            if (next.done) return;
            yield next.value;
          }
        })();
    const writeOptions: Parameters<typeof writeDeltaTable>[2] = { mode: options.mode };
    if (options.partitionBy !== undefined && options.partitionBy.length > 0) {
      writeOptions.partitionBy = [...options.partitionBy];
    }
    if (options.predicate !== undefined) writeOptions.predicate = options.predicate;
    // A dataset overwrite replaces the dataset, schema included (older versions keep theirs); a replaceWhere
    // overwrite only swaps rows and so must match the schema.
    if (options.mode === "overwrite" && options.predicate === undefined) writeOptions.schemaMode = "overwrite";
    if (options.signal !== undefined) writeOptions.signal = options.signal;
    if (existing === undefined) writeOptions.name = key[key.length - 1] ?? "";
    const result = await writeDeltaTable(store, data, writeOptions);
    if (result.checkpointError !== undefined) this.warnCheckpoint(key, result.version, result.checkpointError);
    this.log.info({ dataset: formatAssetKey(key), version: result.version, rows: result.numRows }, "dataset written");
    return { version: result.version, numFiles: result.numFiles, numRows: result.numRows, bytes: result.bytes };
  }

  /** The commit stands (the write succeeded for the client); readers replay the log until a later checkpoint. */
  private warnCheckpoint(key: AssetKey, version: number, error: Error): void {
    this.log.warn(
      { dataset: formatAssetKey(key), version, err: error },
      "commit succeeded but its checkpoint could not be written; the next checkpoint retries",
    );
  }

  private async exists(key: AssetKey): Promise<boolean> {
    return (await this.existingSchema(key)) !== undefined;
  }

  /**
   * A new dataset's folder may neither lie inside another dataset's table (its files would be that table's
   * orphans, removed by its vacuum and its drop) nor contain datasets of its own (a key that is another's area).
   */
  private async assertNotNested(key: AssetKey, path: string): Promise<void> {
    for (let depth = 1; depth < key.length; depth++) {
      const ancestor = key.slice(0, depth);
      if (await isDeltaTableFolder(resolve(this.root, ...ancestor))) {
        throw new InvalidArgumentError(
          `Dataset ${formatAssetKey(key)} cannot be created inside dataset ${formatAssetKey(ancestor)}; choose a key that does not extend an existing dataset's key.`,
        );
      }
    }
    const inside = await this.datasetsBelow(key, path);
    if (inside.length > 0) {
      throw new InvalidArgumentError(
        `Dataset ${formatAssetKey(key)} cannot be created: ${formatAssetKey(key)} is an area holding ${inside.map(formatAssetKey).join(", ")}; choose another key.`,
      );
    }
  }

  /** The datasets inside the folder `path` of `key` (its children, never the folder itself). */
  private async datasetsBelow(key: AssetKey, path: string): Promise<AssetKey[]> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (error) {
      if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) return [];
      throw error;
    }
    const inside: AssetKey[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith(".") || entry.name === "_delta_log") continue;
      await this.walk(join(path, entry.name), [...key, entry.name], inside, undefined);
    }
    return inside;
  }

  private async existingSchema(key: AssetKey): Promise<Schema | undefined> {
    try {
      return (await this.open(key)).table.schema();
    } catch (error) {
      if (error instanceof FusionError && error.code === "NOT_FOUND") return undefined;
      throw error;
    }
  }

  async drop(key: AssetKey): Promise<void> {
    await this.locks.run(lockName(key), "exclusive", () => this.dropLocked(key));
  }

  private async dropLocked(key: AssetKey): Promise<void> {
    const { path, registered } = await this.location(key);
    if (registered || !(await hasDeltaLog(path))) {
      await this.open(key);
    } else if (!(await isDeltaTableFolder(path))) {
      // The leftover of a first write that crashed before its commit: removable, unless it became an area.
      const inside = await this.datasetsBelow(key, path);
      if (inside.length > 0) {
        throw new InvalidArgumentError(
          `Dataset ${formatAssetKey(key)} does not exist but its folder holds ${inside.map(formatAssetKey).join(", ")}; drop those instead.`,
        );
      }
    }
    if (registered) {
      // A registered table belongs to someone else: forget it, never delete its files.
      await this.registry.update((registry) => {
        delete registry[formatAssetKey(key)];
      });
      return;
    }
    // Renaming is atomic: the key is free at once, and a crash while deleting leaves only a hidden folder that
    // no listing shows, never a half-deleted table.
    const trash = join(this.root, `${TRASH_PREFIX}${randomUUID()}`);
    await rename(path, trash);
    await this.removeEmptyParents(path);
    await rm(trash, { recursive: true, force: true });
    this.log.info({ dataset: formatAssetKey(key) }, "dataset dropped");
  }

  /**
   * Deletes what drops interrupted by a crash left behind (hidden `.trash-*` folders in the data root), in the
   * background when the catalog is created. Never throws; a failure is logged.
   */
  async sweepTrash(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch {
      return; // No data root yet: nothing to sweep.
    }
    const trash = /^\.trash-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const name of names.filter((n) => trash.test(n))) {
      try {
        await rm(join(this.root, name), { recursive: true, force: true });
        this.log.info({ folder: name }, "removed the leftover of an interrupted drop");
      } catch (error) {
        this.log.warn({ err: error, folder: name }, "could not remove the leftover of an interrupted drop");
      }
    }
  }

  private async removeEmptyParents(path: string): Promise<void> {
    let dir = resolve(path, "..");
    while (dir !== this.root && dir.startsWith(this.root + sep)) {
      try {
        await rmdir(dir);
      } catch (error) {
        if (isErrno(error, "ENOTEMPTY") || isErrno(error, "EEXIST") || isErrno(error, "ENOENT")) return;
        throw error;
      }
      dir = resolve(dir, "..");
    }
  }

  async setMetadata(key: AssetKey, update: MetadataUpdate): Promise<DatasetMetadata> {
    return this.locks.run(lockName(key), "shared", () => this.setMetadataLocked(key, update));
  }

  private async setMetadataLocked(key: AssetKey, update: MetadataUpdate): Promise<DatasetMetadata> {
    const store = (await this.open(key)).store;
    const configuration: Record<string, string> = {};
    for (const [name, value] of Object.entries(update.tags ?? {})) configuration[TAG_PREFIX + name] = value;
    for (const [name, value] of Object.entries(update.properties ?? {})) configuration[PROPERTY_PREFIX + name] = value;
    const change: Parameters<typeof updateTableMetadata>[1] = { configuration };
    if (update.name !== undefined) change.name = update.name;
    if (update.description !== undefined) change.description = update.description;
    const result = await updateTableMetadata(store, change);
    if (result.checkpointError !== undefined) this.warnCheckpoint(key, result.version, result.checkpointError);
    return (await this.info(key)).metadata;
  }

  async history(key: AssetKey, limit?: number): Promise<HistoryEntry[]> {
    const store = (await this.open(key)).store;
    const entries = await readHistory(store, limit === undefined ? {} : { limit });
    return entries.map((entry) => {
      const out: HistoryEntry = {
        version: entry.version,
        timestamp: entry.timestamp,
        operation: entry.operation,
        parameters: entry.operationParameters,
      };
      if (entry.rowsAdded !== undefined) out.rowsAdded = entry.rowsAdded;
      return out;
    });
  }

  async register(key: AssetKey, path: string): Promise<DatasetInfo> {
    validateAssetKey(key);
    if (!isAbsolute(path)) throw new InvalidArgumentError(`Register needs an absolute path, got ${path}.`);
    const target = resolve(path);
    const info = await stat(target).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) {
      throw new NotFoundError(`No folder at ${target}; register the folder of an existing Delta table.`);
    }
    await this.assertOutsideRoot(target);
    if (await this.exists(key)) {
      throw new AlreadyExistsError(`Dataset ${formatAssetKey(key)} already exists; drop it first or pick another key.`);
    }
    try {
      await DeltaTable.open(createLocalObjectStore(target), {});
    } catch (error) {
      if (error instanceof FusionError && error.code === "NOT_FOUND") {
        throw new InvalidArgumentError(`${target} is not a Delta table (it has no _delta_log); check the path.`, {
          cause: error,
        });
      }
      throw error;
    }
    await this.registry.update((registry) => {
      registry[formatAssetKey(key)] = target;
    });
    return this.info(key);
  }

  /**
   * A registered folder may neither lie inside the data root nor contain it: the same files would then belong to
   * two keys, and dropping or vacuuming one would delete the other's data. Symbolic links are followed.
   */
  private async assertOutsideRoot(target: string): Promise<void> {
    const real = await realpath(target);
    const root = await realpath(this.root).catch((error: unknown) => {
      if (isErrno(error, "ENOENT")) return this.root;
      throw error;
    });
    if (isWithin(real, root)) {
      throw new InvalidArgumentError(
        `${target} is inside the data root ${root}, where datasets are written by key; write to that key instead of registering it.`,
      );
    }
    if (isWithin(root, real)) {
      throw new InvalidArgumentError(
        `${target} contains the data root ${root}; registering it would let one dataset's drop or vacuum delete the others' data, so register a table folder outside the data root.`,
      );
    }
  }

  async vacuum(key: AssetKey, request: VacuumRequest): Promise<{ files: string[] }> {
    // Alone on the key: with a short retention, the finished files of a write still streaming look unreferenced.
    return this.locks.run(lockName(key), "exclusive", () => this.vacuumLocked(key, request));
  }

  private async vacuumLocked(key: AssetKey, request: VacuumRequest): Promise<{ files: string[] }> {
    const store = (await this.open(key)).store;
    const options: Parameters<typeof vacuum>[1] = {};
    if (request.retentionHours !== undefined) options.retentionHours = request.retentionHours;
    if (request.dryRun !== undefined) options.dryRun = request.dryRun;
    if (request.force === true) options.enforceRetentionDuration = false;
    const result = await vacuum(store, options);
    return { files: result.deleted };
  }
}

function toDatasetMetadata(
  key: AssetKey,
  metadata: { id: string; name?: string | null; description?: string | null; configuration: Record<string, string> },
): DatasetMetadata {
  const tags: Record<string, string> = {};
  const properties: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata.configuration)) {
    if (name.startsWith(TAG_PREFIX)) tags[name.slice(TAG_PREFIX.length)] = value;
    else if (name.startsWith(PROPERTY_PREFIX)) properties[name.slice(PROPERTY_PREFIX.length)] = value;
  }
  return {
    id: metadata.id,
    name: metadata.name ?? key[key.length - 1] ?? "",
    description: metadata.description ?? "",
    tags,
    properties,
  };
}

function lockName(key: AssetKey): string {
  return formatAssetKey(validateAssetKey(key));
}

/**
 * A fair shared/exclusive lock per name, in process: waiters are granted in arrival order, so a drop waiting for
 * writes is not starved by writes that arrive after it.
 */
class KeyedLock {
  private readonly states = new Map<
    string,
    { shared: number; exclusive: boolean; queue: { mode: "shared" | "exclusive"; grant: () => void }[] }
  >();

  async run<T>(name: string, mode: "shared" | "exclusive", task: () => Promise<T>): Promise<T> {
    let state = this.states.get(name);
    if (state === undefined) {
      state = { shared: 0, exclusive: false, queue: [] };
      this.states.set(name, state);
    }
    const held = state;
    await new Promise<void>((grant) => {
      held.queue.push({ mode, grant });
      this.pump(name, held);
    });
    try {
      return await task();
    } finally {
      if (mode === "shared") held.shared--;
      else held.exclusive = false;
      this.pump(name, held);
    }
  }

  private pump(
    name: string,
    state: { shared: number; exclusive: boolean; queue: { mode: "shared" | "exclusive"; grant: () => void }[] },
  ): void {
    while (!state.exclusive) {
      const next = state.queue[0];
      if (next === undefined) break;
      if (next.mode === "exclusive") {
        if (state.shared > 0) break;
        state.exclusive = true;
      } else {
        state.shared++;
      }
      state.queue.shift();
      next.grant();
    }
    if (state.shared === 0 && !state.exclusive && state.queue.length === 0) this.states.delete(name);
  }
}

/** True when `path` is `dir` or inside it. */
function isWithin(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && "code" in error && error.code === code;
}

/** True when `dir` has a `_delta_log/` folder, with or without commits. */
async function hasDeltaLog(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, "_delta_log"))).isDirectory();
  } catch (error) {
    if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) return false;
    throw error;
  }
}

/**
 * True when `dir` holds a Delta table: its `_delta_log/` has a commit or a checkpoint (PROTOCOL.md "Delta Log
 * Entries"). A log folder with neither is what a crash during a table's first commit leaves behind.
 */
async function isDeltaTableFolder(dir: string): Promise<boolean> {
  if (!(await hasDeltaLog(dir))) return false;
  const files = await listLogFiles(createLocalObjectStore(dir));
  return files.some((file) => file.kind === "commit" || file.kind === "checkpoint");
}
