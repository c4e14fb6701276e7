import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { ENGINE_INFO, ENGINE_VERSION } from "./engine-info.js";

it("reports the package version in commitInfo.engineInfo", async () => {
  const pkg: { version: string } = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8"));
  expect(ENGINE_VERSION).toBe(pkg.version);
  expect(ENGINE_INFO).toBe(`mlfusion/${pkg.version}`);
});
