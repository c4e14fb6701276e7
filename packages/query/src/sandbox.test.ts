import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openSandboxedInstance, POOLED_CONNECTIONS, type SandboxedInstance, STREAMING_BUFFER_SIZE } from "./sandbox.js";

/** A connection of an open sandbox. */
async function take(sandbox: SandboxedInstance): Promise<DuckDBConnection> {
  const connection = await sandbox.acquire();
  if (connection === undefined) throw new Error("the sandbox is closed");
  return connection;
}

const setting = async (sandbox: SandboxedInstance, name: string) => {
  const connection = await take(sandbox);
  try {
    const reader = await connection.runAndReadAll(`SELECT current_setting('${name}')`);
    return { connection, value: String(reader.getRows()[0]?.[0]) };
  } finally {
    await sandbox.release(connection, []);
  }
};

describe("sandboxed instance connections", () => {
  let sandbox: SandboxedInstance | undefined;
  afterEach(() => sandbox?.close());

  it("pools connections with a 1 MB streaming buffer, and drops a query's temp tables before reuse", async () => {
    sandbox = await openSandboxedInstance([]);
    const { connection: first, value } = await setting(sandbox, "streaming_buffer_size");
    expect(value).toBe("976.5 KiB"); // 1 MB in DuckDB's binary units
    expect(STREAMING_BUFFER_SIZE).toBe("1MB");

    const again = await take(sandbox);
    expect(again).toBe(first);
    await again.run("CREATE TEMP TABLE __fusion_deleted_0 (row_index BIGINT)");
    await sandbox.release(again, ["__fusion_deleted_0"]);
    const reused = await take(sandbox);
    expect(reused).toBe(first);
    // Would fail with "already exists" had the release not dropped it.
    await reused.run("CREATE TEMP TABLE __fusion_deleted_0 (row_index BIGINT)");
    await sandbox.release(reused, ["__fusion_deleted_0"]);
  });

  it("hands out plain connections beyond the pool and closes them on release", async () => {
    sandbox = await openSandboxedInstance([]);
    const held = await Promise.all(
      Array.from({ length: POOLED_CONNECTIONS + 1 }, () => (sandbox === undefined ? undefined : take(sandbox))),
    );
    const extra = held.at(-1);
    if (extra === undefined) throw new Error("no connection");
    await extra.run("SELECT 1");
    for (const connection of held) if (connection !== undefined) await sandbox.release(connection, []);
    await expect(extra.run("SELECT 1")).rejects.toThrow();
    // The pool is whole again: as many configured connections as before.
    const again = await Promise.all(
      Array.from({ length: POOLED_CONNECTIONS }, () => (sandbox === undefined ? undefined : take(sandbox))),
    );
    expect(new Set(again).size).toBe(POOLED_CONNECTIONS);
    expect(again.every((c) => held.includes(c))).toBe(true);
  });

  it("refuses SET on pooled connections (the configuration is locked)", async () => {
    sandbox = await openSandboxedInstance([]);
    const connection = await take(sandbox);
    await expect(connection.run("SET streaming_buffer_size = '1GB'")).rejects.toThrow(/locked/);
    await sandbox.release(connection, []);
  });

  it("a retired instance finishes the query it runs, then closes", async () => {
    sandbox = await openSandboxedInstance([]);
    const running = await take(sandbox);
    sandbox.retire();
    const reader = await running.runAndReadAll("SELECT 40 + 2 AS answer");
    expect(reader.getRows()).toEqual([[42]]);
    await sandbox.release(running, []);
    expect(await sandbox.acquire()).toBeUndefined(); // closed
  });

  it("applies the configured memory limit and threads, and spills into a temp folder of its own", async () => {
    sandbox = await openSandboxedInstance([], { memoryLimit: "64MB", threads: 1 });
    expect((await setting(sandbox, "memory_limit")).value).toBe("61.0 MiB");
    expect((await setting(sandbox, "threads")).value).toBe("1");
    const temp = (await setting(sandbox, "temp_directory")).value;
    expect(temp.startsWith(join(tmpdir(), "mlfusion-duckdb-"))).toBe(true);
    // A sort several times larger than the memory limit completes by spilling there (not into the cwd's .tmp).
    const connection = await take(sandbox);
    const reader = await connection.runAndReadAll(
      "SELECT count(*) AS n, min(s) AS first FROM (SELECT md5(range::VARCHAR) AS s FROM range(3000000) ORDER BY s)",
    );
    expect(reader.getRows()[0]?.[0]).toBe(3_000_000n);
    await sandbox.release(connection, []);
    sandbox.close();
    sandbox = undefined;
    await vi.waitFor(() => expect(existsSync(temp)).toBe(false));
  });

  it("spills into a private subfolder of a configured temp directory, which must not lie inside the data", async () => {
    const base = await mkdtemp(join(tmpdir(), "sandbox-temp-"));
    try {
      const first = await openSandboxedInstance([], { tempDirectory: base });
      const second = await openSandboxedInstance([], { tempDirectory: base });
      const a = (await setting(first, "temp_directory")).value;
      const b = (await setting(second, "temp_directory")).value;
      expect(a.startsWith(join(base, "mlfusion-duckdb-"))).toBe(true);
      expect(b.startsWith(join(base, "mlfusion-duckdb-"))).toBe(true);
      expect(a).not.toBe(b);
      first.close();
      second.close();
      await expect(openSandboxedInstance([base], { tempDirectory: join(base, "tmp") })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
      // The data inside the temp directory is fine: each instance spills into a fresh subfolder of its own.
      const beside = await openSandboxedInstance([join(base, "data")], { tempDirectory: base });
      beside.close();
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
