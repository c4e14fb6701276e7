import { AlreadyExistsError, NotFoundError } from "@mlfusion/core";
import { createTempDir, type TempDir } from "@mlfusion/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalObjectStore } from "./local-object-store.js";

describe("LocalObjectStore", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await createTempDir("store-");
  });
  afterEach(async () => {
    await dir.close();
  });

  it("lets exactly one of many racing putIfAbsent calls win", async () => {
    const store = createLocalObjectStore(dir.path);
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) =>
        store.putIfAbsent("_delta_log/00000000000000000000.json", Buffer.from(`w${i}`)),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(AlreadyExistsError);
    }
    const listed = await store.list("_delta_log/");
    expect(listed.map((o) => o.path)).toEqual(["_delta_log/00000000000000000000.json"]);
  });

  it("lists recursively, sorted, filtered by prefix and startAfter", async () => {
    const store = createLocalObjectStore(dir.path);
    for (const p of ["b/2.txt", "a/1.txt", "a/0.txt", "_delta_log/x.json"]) await store.put(p, Buffer.from(p));
    expect((await store.list("a/")).map((o) => o.path)).toEqual(["a/0.txt", "a/1.txt"]);
    expect((await store.list("", { startAfter: "a/1.txt" })).map((o) => o.path)).toEqual(["b/2.txt"]);
    expect(await store.list("missing/")).toEqual([]);
  });

  it("reads byte ranges and reports missing objects as NotFoundError", async () => {
    const store = createLocalObjectStore(dir.path);
    await store.put("f.bin", Uint8Array.from([0, 1, 2, 3, 4, 5]));
    expect(Array.from(await store.getRange("f.bin", 2, 5))).toEqual([2, 3, 4]);
    await expect(store.get("nope")).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.head("nope")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses paths that escape the root", async () => {
    const store = createLocalObjectStore(dir.path);
    await expect(store.put("../escape.txt", Buffer.from("x"))).rejects.toThrow(/escapes the table root/);
  });

  it("streams an object into place only when complete", async () => {
    const store = createLocalObjectStore(dir.path);
    async function* chunks() {
      yield Buffer.from("ab");
      yield Buffer.from("cd");
    }
    expect(await store.putStream("s/x.bin", chunks())).toEqual({ size: 4 });
    expect(Buffer.from(await store.get("s/x.bin")).toString()).toBe("abcd");
  });

  it("writes through fsynced temporary files into new nested folders and leaves none behind", async () => {
    const store = createLocalObjectStore(dir.path);
    await store.putIfAbsent("a/b/_delta_log/00000000000000000000.json", Buffer.from("{}"));
    await expect(
      store.putIfAbsent("a/b/_delta_log/00000000000000000000.json", Buffer.from("x")),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
    await store.put("c/d/e.bin", Buffer.from("one"));
    await store.put("c/d/e.bin", Buffer.from("two"));
    async function* chunks() {
      yield Buffer.from("xy");
    }
    await store.putStream("f/g/h.bin", chunks());
    const listed = await store.list("", { includeIncomplete: true });
    expect(listed.map((o) => [o.path, o.size])).toEqual([
      ["a/b/_delta_log/00000000000000000000.json", 2],
      ["c/d/e.bin", 3],
      ["f/g/h.bin", 2],
    ]);
    expect(Buffer.from(await store.get("c/d/e.bin")).toString()).toBe("two");
  });

  it("removes the temporary file when a streamed write is aborted", async () => {
    const store = createLocalObjectStore(dir.path);
    const controller = new AbortController();
    async function* chunks() {
      yield Buffer.from("ab");
      controller.abort();
      yield Buffer.from("cd");
    }
    await expect(store.putStream("s/x.bin", chunks(), controller.signal)).rejects.toThrow();
    expect(await store.list("", { includeIncomplete: true })).toEqual([]);
  });
});
