import type { RecordBatch, Schema } from "apache-arrow";
import { toDisplayString } from "./arrow-values.js";

/** Options for {@link renderTerminalTable}. */
export interface TerminalTableOptions {
  /** Rows shown before truncating. */
  maxRows?: number;
  /** Characters shown per cell before truncating with an ellipsis. */
  maxCellWidth?: number;
}

/**
 * Renders batches as a readable table for a terminal, showing at most `maxRows` rows but counting all of them.
 *
 * @example
 * const { text, totalRows } = await renderTerminalTable(schema, batches);
 */
export async function renderTerminalTable(
  schema: Schema,
  batches: AsyncIterable<RecordBatch>,
  options: TerminalTableOptions = {},
): Promise<{ text: string; totalRows: number }> {
  const maxRows = options.maxRows ?? 20;
  const maxCell = options.maxCellWidth ?? 40;
  const header = schema.fields.map((f) => f.name);
  const types = schema.fields.map((f) => String(f.type));
  const rows: string[][] = [];
  let totalRows = 0;
  for await (const batch of batches) {
    for (let i = 0; i < batch.numRows && rows.length < maxRows; i++) {
      rows.push(
        batch.schema.fields.map((f, c) => {
          const v = batch.getChildAt(c)?.get(i);
          return v === null || v === undefined ? "null" : toDisplayString(v, f.type);
        }),
      );
    }
    totalRows += batch.numRows;
  }
  const clip = (s: string) => (s.length > maxCell ? `${s.slice(0, maxCell - 1)}…` : s).replace(/\n/g, "\\n");
  const cells = [header, types, ...rows].map((r) => r.map(clip));
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? "").length)));
  const fmt = (r: string[]) => `│ ${r.map((v, c) => v.padEnd(widths[c] ?? 0)).join(" │ ")} │`;
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => "─".repeat(w + 2)).join(m)}${r}`;
  const lines = [rule("┌", "┬", "┐"), fmt(cells[0] ?? []), fmt(cells[1] ?? []), rule("├", "┼", "┤")];
  for (const r of cells.slice(2)) lines.push(fmt(r));
  lines.push(rule("└", "┴", "┘"));
  if (totalRows > rows.length) lines.push(`… ${totalRows - rows.length} more rows`);
  return { text: lines.join("\n"), totalRows };
}
