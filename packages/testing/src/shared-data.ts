import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./python.js";

/** `../shared` beside the repository, where the conformance corpus and sample data live (absent outside CI). */
export const sharedRoot: string = join(repoRoot, "..", "shared");

/** The Delta conformance corpus folder, or undefined when ../shared is absent (a fresh clone elsewhere). */
export function deltaConformanceRoot(): string | undefined {
  const dir = join(sharedRoot, "delta-conformance");
  return existsSync(dir) ? dir : undefined;
}
