import { InvalidArgumentError } from "@mlfusion/core";
import { createDeltaCatalog, createQueryEngine } from "@mlfusion/query";
import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import {
  outputFormatFor,
  writeArrowFile,
  writeCsvFile,
  writeJsonLinesFile,
  writeParquetOutput,
} from "../files/table-writer.js";
import { renderTerminalTable } from "../files/terminal-table.js";
import { withProgress } from "../progress.js";
import { resolveDataRoot } from "../workspace.js";

interface QueryCommandOptions {
  output?: string;
  maxRows: string;
  timeout?: string;
}

/**
 * `fusion query "SQL" [--output FILE]`: runs SQL over the workspace's datasets with the local query engine and
 * prints a table (truncated, with the row count and time), or writes every row to a .arrow, .csv or .jsonl file.
 * Datasets are named by key: `"demo"."model_training"."dataset"`, with `AT (VERSION => n)` for time travel.
 */
export function registerQueryCommands(program: Command, ctx: CliContext): void {
  program
    .command("query")
    .description('Run SQL over datasets, e.g. fusion query \'SELECT count(*) FROM "demo"."iris"\'.')
    .argument("<sql>", 'one SELECT statement; name datasets by key, e.g. "demo"."iris" AT (VERSION => 2)')
    .option(
      "--output <file>",
      "write all rows to a file instead; the extension picks the format (.parquet, .arrow, .csv, .jsonl); - is the terminal",
    )
    .option("--max-rows <n>", "rows shown on the terminal", "20")
    .option("--timeout <ms>", "time limit for this query (default: query.timeoutMs from the configuration)")
    .action(async (sql: string, opts: QueryCommandOptions) => {
      const config = await ctx.config();
      const format = opts.output === undefined || opts.output === "-" ? undefined : outputFormatFor(opts.output);
      const maxRows = positiveInteger(opts.maxRows, "--max-rows");
      const timeoutMs = opts.timeout === undefined ? undefined : positiveInteger(opts.timeout, "--timeout");
      const dataRoot = resolveDataRoot(ctx.workspace(), config.storage.dataRoot);
      const engine = createQueryEngine({ catalog: createDeltaCatalog({ dataRoot }), config: config.query });
      const started = performance.now();
      try {
        const result = await engine.query(sql, timeoutMs === undefined ? {} : { timeoutMs });
        if (opts.output === undefined || opts.output === "-" || format === undefined) {
          const { text, totalRows } = await renderTerminalTable(result.schema, result, { maxRows });
          ctx.print(text);
          ctx.print(`${rowCount(totalRows)} in ${seconds(started)}`);
          return;
        }
        const progress = withProgress(result, ctx.stderr, "query");
        let rows: number;
        try {
          rows =
            format === "parquet"
              ? await writeParquetOutput(opts.output, progress.batches)
              : format === "arrow"
                ? await writeArrowFile(opts.output, result.schema, progress.batches)
                : format === "csv"
                  ? await writeCsvFile(opts.output, result.schema, progress.batches)
                  : await writeJsonLinesFile(opts.output, progress.batches);
        } finally {
          progress.done();
        }
        ctx.print(`Wrote ${rowCount(rows)} to ${opts.output} in ${seconds(started)}`);
      } finally {
        await engine.close();
      }
    });
}

function positiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`${flag} takes a positive whole number (got ${JSON.stringify(text)}).`);
  }
  return value;
}

function rowCount(rows: number): string {
  return `${rows.toLocaleString("en-US")} ${rows === 1 ? "row" : "rows"}`;
}

function seconds(started: number): string {
  return `${((performance.now() - started) / 1000).toFixed(2)} s`;
}
