import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createTempDir, type TempDir } from "@mlfusion/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as query from "../src/index.js";
import { writeFixtures } from "./fixtures.js";

let dir: TempDir;
let dataRoot: string;

beforeAll(async () => {
  dir = await createTempDir("query-readme-");
  ({ dataRoot } = await writeFixtures(dir.path));
});

afterAll(async () => {
  await dir?.close();
});

describe("README", () => {
  it("runs the example against the test datasets", async () => {
    const readme = await readFile(join(import.meta.dirname, "..", "README.md"), "utf8");
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    // The example imports the package and reads the workspace's data root; run it on the fixtures instead.
    const body = (example ?? "")
      .replace(/^import .*$/m, "")
      .replace('".mlfusion/data"', "dataRoot")
      .replaceAll("console.log(", "log(");
    const logged: unknown[] = [];
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
    const run = new AsyncFunction("createDeltaCatalog", "createQueryEngine", "dataRoot", "log", body);
    await run(query.createDeltaCatalog, query.createQueryEngine, dataRoot, (value: unknown) => logged.push(value));
    expect(logged[0]).toMatchObject([
      { key: ["demo", "sales"], version: 1, filesTotal: 6, filesOpened: 2 },
      { key: ["demo", "crm", "customers"], version: 1 },
    ]);
    expect(logged.slice(1)).toEqual([2]);
  });
});
