import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

// The cases of the Delta conformance corpus (../shared/delta-conformance/README.md), as the conformance test and
// the decoder comparison list them.

export interface Case {
  /** Path relative to the corpus root, e.g. kernel-golden/multi-part-checkpoint. */
  name: string;
  /** The table folder. */
  table: string;
  expected?: string;
  /** No `_delta_log` anywhere below the case folder: not a table at all. */
  noLog?: boolean;
}

export function discover(corpus: string): Case[] {
  const cases: Case[] = [];
  for (const group of ["kernel-golden", "kernel-data", "delta-golden", "delta-rs"]) {
    const groupDir = join(corpus, group);
    if (!existsSync(groupDir)) continue;
    for (const entry of readdirSync(groupDir).sort()) {
      const dir = join(groupDir, entry);
      if (!statSync(dir).isDirectory()) continue;
      const tableDir = existsSync(join(dir, "delta")) ? join(dir, "delta") : dir;
      const expected = join(dir, "expected");
      const tables = findTables(tableDir);
      if (tables.length === 0 || tables[0] === tableDir) {
        const c: Case = { name: `${group}/${entry}`, table: tableDir };
        if (existsSync(expected)) c.expected = expected;
        if (tables.length === 0) c.noLog = true;
        cases.push(c);
        continue;
      }
      for (const t of tables) cases.push({ name: relative(corpus, t), table: t });
    }
  }
  return cases;
}

/** Folders at or below `dir` that hold a `_delta_log` (not descending into tables). */
function findTables(dir: string): string[] {
  if (existsSync(join(dir, "_delta_log"))) return [dir];
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const child = join(dir, entry);
    if (entry.startsWith(".") || !statSync(child).isDirectory()) continue;
    out.push(...findTables(child));
  }
  return out;
}
