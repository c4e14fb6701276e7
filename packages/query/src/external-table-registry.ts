import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";

const REGISTRY_FILE = ".registry.json";

/**
 * Delta tables registered as datasets from outside the data root: `<dataRoot>/.registry.json`, a map from asset
 * key (`demo/data`) to the table's absolute path. Updates are serialised and replace the file atomically. The
 * server's catalog writes it (the `register` action); the SQL catalog reads it, so registered datasets are
 * queryable.
 */
export class ExternalTableRegistry {
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly root: string) {}

  /** The registered tables by key; entries that are not absolute paths (a hand-edited file) are ignored. */
  async read(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(join(this.root, REGISTRY_FILE), "utf8");
    } catch (error) {
      if (error instanceof Error && "code" in error && error.code === "ENOENT") return {};
      throw error;
    }
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null) return {};
    return Object.fromEntries(
      Object.entries(parsed)
        .filter((entry): entry is [string, string] => typeof entry[1] === "string" && isAbsolute(entry[1]))
        .map(([key, path]) => [key, resolve(path)]),
    );
  }

  /** Applies `change` to the registry and writes it back (one update at a time). */
  async update(change: (registry: Record<string, string>) => void): Promise<void> {
    const run = this.lock.then(async () => {
      const registry = await this.read();
      change(registry);
      await mkdir(this.root, { recursive: true });
      const temp = join(this.root, `${REGISTRY_FILE}.${randomUUID()}.tmp`);
      await writeFile(temp, `${JSON.stringify(registry, null, 2)}\n`);
      await rename(temp, join(this.root, REGISTRY_FILE));
    });
    // A failed update must not block the next one; its caller still sees the failure through `run`.
    this.lock = run.catch(() => undefined);
    await run;
  }
}
