import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openSandboxedInstance, POOLED_CONNECTIONS, type SandboxedInstance, STREAMING_BUFFER_SIZE } from "./sandbox.js";

const setting = async (sandbox: SandboxedInstance, name: string) => {
  const connection = await sandbox.acquire();
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

  it("pools connections with a large streaming buffer, and drops a query's temp tables before reuse", async () => {
    sandbox = await openSandboxedInstance([]);
    const { connection: first, value } = await setting(sandbox, "streaming_buffer_size");
    expect(value).toBe("15.2 MiB"); // 16 MB in DuckDB's binary units
    expect(STREAMING_BUFFER_SIZE).toBe("16MB");

    const again = await sandbox.acquire();
    expect(again).toBe(first);
    await again.run("CREATE TEMP TABLE __fusion_deleted_0 (row_index BIGINT)");
    await sandbox.release(again, ["__fusion_deleted_0"]);
    const reused = await sandbox.acquire();
    expect(reused).toBe(first);
    // Would fail with "already exists" had the release not dropped it.
    await reused.run("CREATE TEMP TABLE __fusion_deleted_0 (row_index BIGINT)");
    await sandbox.release(reused, ["__fusion_deleted_0"]);
  });

  it("hands out plain connections beyond the pool and closes them on release", async () => {
    sandbox = await openSandboxedInstance([]);
    const held = await Promise.all(Array.from({ length: POOLED_CONNECTIONS + 1 }, () => sandbox?.acquire()));
    const extra = held.at(-1);
    if (extra === undefined) throw new Error("no connection");
    const reader = await extra.runAndReadAll("SELECT current_setting('streaming_buffer_size')");
    expect(String(reader.getRows()[0]?.[0])).not.toBe("15.2 MiB");
    for (const connection of held) if (connection !== undefined) await sandbox.release(connection, []);
    await expect(extra.run("SELECT 1")).rejects.toThrow();
    // The pool is whole again: as many configured connections as before.
    const again = await Promise.all(Array.from({ length: POOLED_CONNECTIONS }, () => sandbox?.acquire()));
    expect(new Set(again).size).toBe(POOLED_CONNECTIONS);
    expect(again.every((c) => held.includes(c))).toBe(true);
  });

  it("refuses SET on pooled connections (the configuration is locked)", async () => {
    sandbox = await openSandboxedInstance([]);
    const connection = await sandbox.acquire();
    await expect(connection.run("SET streaming_buffer_size = '1GB'")).rejects.toThrow(/locked/);
    await sandbox.release(connection, []);
  });

  it("a retired instance finishes the query it runs, then closes", async () => {
    sandbox = await openSandboxedInstance([]);
    const running = await sandbox.acquire();
    sandbox.retire();
    const reader = await running.runAndReadAll("SELECT 40 + 2 AS answer");
    expect(reader.getRows()).toEqual([[42]]);
    await sandbox.release(running, []);
    await expect(sandbox.acquire()).rejects.toThrow(/closed/);
  });

  it("applies the configured memory limit and threads, and spills into a temp folder of its own", async () => {
    sandbox = await openSandboxedInstance([], { memoryLimit: "64MB", threads: 1 });
    expect((await setting(sandbox, "memory_limit")).value).toBe("61.0 MiB");
    expect((await setting(sandbox, "threads")).value).toBe("1");
    const temp = (await setting(sandbox, "temp_directory")).value;
    expect(temp.startsWith(join(tmpdir(), "mlfusion-duckdb-"))).toBe(true);
    // A sort several times larger than the memory limit completes by spilling there (not into the cwd's .tmp).
    const connection = await sandbox.acquire();
    const reader = await connection.runAndReadAll(
      "SELECT count(*) AS n, min(s) AS first FROM (SELECT md5(range::VARCHAR) AS s FROM range(3000000) ORDER BY s)",
    );
    expect(reader.getRows()[0]?.[0]).toBe(3_000_000n);
    await sandbox.release(connection, []);
    sandbox.close();
    sandbox = undefined;
    await vi.waitFor(() => expect(existsSync(temp)).toBe(false));
  });
});
