import { readdir } from "node:fs/promises";
import { createTempDir } from "@mlfusion/testing";
import { tableFromArrays } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { toArrowSchema } from "../schema/arrow-schema.js";
import type { StructType } from "../schema/delta-schema.js";
import { createLocalObjectStore } from "../storage/local-object-store.js";
import type { ObjectStore } from "../storage/object-store.js";
import { createDataFileWriter } from "./data-file-writer.js";

describe("data file writer", () => {
  it("a failed upload of a finished file fails the write, and abort leaves no upload running and no file", async () => {
    const dir = await createTempDir("data-file-writer-");
    try {
      // The real local store, except that its first upload fails once its bytes are consumed (a full disk, say).
      const local = createLocalObjectStore(dir.path);
      let uploads = 0;
      const running = new Set<number>();
      const store: ObjectStore = Object.create(local);
      store.putStream = (path, chunks, signal) => {
        const n = uploads++;
        running.add(n);
        const upload = (async () => {
          if (n === 0) {
            for await (const _ of chunks) {
              // drain
            }
            throw new Error("disk full");
          }
          return local.putStream(path, chunks, signal);
        })();
        upload.then(
          () => running.delete(n),
          () => running.delete(n),
        );
        return upload;
      };
      const schema: StructType = {
        type: "struct",
        fields: [{ name: "id", type: "long", nullable: true, metadata: {} }],
      };
      const writer = createDataFileWriter(store, {
        schema,
        fileSchema: toArrowSchema(schema),
        partitionColumns: [],
        targetFileSize: 1000,
      });
      const batch = () => tableFromArrays({ id: BigInt64Array.from({ length: 200 }, (_, i) => BigInt(i)) }).batches;
      const failure = await (async () => {
        for (let i = 0; i < 3; i++) for (const b of batch()) await writer.write(b);
        await writer.close();
      })().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toContain("disk full");
      await writer.abort(failure);
      await expect.poll(() => running.size).toBe(0);
      expect(uploads).toBeGreaterThan(1);
      expect(await readdir(dir.path, { recursive: true })).toEqual([]);
    } finally {
      await dir.close();
    }
  });
});
