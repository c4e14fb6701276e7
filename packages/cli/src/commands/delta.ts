import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { InvalidArgumentError, NotFoundError } from "@mlfusion/core";
import {
  createLocalObjectStore,
  DeltaTable,
  readHistory,
  readParquetFileBatches,
  vacuum,
  writeDeltaTable,
} from "@mlfusion/delta";
import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import { readTableFile } from "../files/table-reader.js";
import {
  outputFormatFor,
  writeArrowFile,
  writeCsvFile,
  writeJsonLinesFile,
  writeParquetOutput,
} from "../files/table-writer.js";
import { renderTerminalTable } from "../files/terminal-table.js";
import { withProgress } from "../progress.js";

const SAVE_MODES = ["append", "overwrite", "error"] as const;

/** `fusion delta show|history|read|write|vacuum` for Delta tables on disk. */
export function registerDeltaCommands(program: Command, ctx: CliContext): void {
  const delta = program.command("delta").description("Inspect, read and write Delta Lake tables on disk.");

  delta
    .command("show")
    .description("Show a table's version, protocol, schema, partitioning and size.")
    .argument("<path>", "table folder")
    .action(async (path: string) => {
      const table = await DeltaTable.open(tableStore(ctx, path, true));
      const stats = table.fileStats();
      const p = table.protocol;
      const features = [...(p.readerFeatures ?? []), ...(p.writerFeatures ?? [])];
      ctx.print(`table:      ${resolve(ctx.cwd, path)}`);
      if (table.metadata.name) ctx.print(`name:       ${table.metadata.name}`);
      if (table.metadata.description) ctx.print(`description: ${table.metadata.description}`);
      ctx.print(`version:    ${table.version}`);
      ctx.print(
        `protocol:   reader ${p.minReaderVersion}, writer ${p.minWriterVersion}${features.length > 0 ? `; features: ${[...new Set(features)].join(", ")}` : ""}`,
      );
      ctx.print(`partitions: ${table.partitionColumns.length > 0 ? table.partitionColumns.join(", ") : "(none)"}`);
      ctx.print(`files:      ${stats.numFiles}`);
      ctx.print(
        `rows:       ${stats.numRecords}${stats.numRecordsIsPartial ? " or more (some files have no statistics)" : ""}`,
      );
      ctx.print(`size:       ${stats.sizeBytes} bytes`);
      ctx.print("schema:");
      for (const field of table.schema().fields) {
        ctx.print(`  ${field.name}: ${String(field.type)}${field.nullable ? "" : " not null"}`);
      }
    });

  delta
    .command("history")
    .description("List the table's commits, newest first.")
    .argument("<path>", "table folder")
    .option("--limit <n>", "show at most n commits", parseCount)
    .action(async (path: string, opts: { limit?: number }) => {
      const entries = await readHistory(
        tableStore(ctx, path, true),
        opts.limit === undefined ? {} : { limit: opts.limit },
      );
      for (const e of entries) {
        const params = Object.keys(e.operationParameters).length > 0 ? ` ${JSON.stringify(e.operationParameters)}` : "";
        const rows = e.rowsAdded === undefined ? "" : ` (+${e.rowsAdded} rows)`;
        ctx.print(`${e.version}\t${new Date(e.timestamp).toISOString()}\t${e.operation}${rows}${params}`);
      }
    });

  delta
    .command("read")
    .description("Read a table (optionally at a version or time) into a file, or - for the terminal.")
    .argument("<path>", "table folder")
    .option("--version <n>", "read this table version", parseCount)
    .option("--timestamp <iso>", "read the version current at this time (ISO 8601)")
    .option("--columns <a,b>", "only these columns", parseList)
    .option("--filter <expr>", 'only rows matching, e.g. "year = 2024 AND amount > 10"')
    .requiredOption("--output <file>", "output .parquet, .arrow, .csv, .jsonl, or - for a table on the terminal")
    .action(
      async (
        path: string,
        opts: { version?: number; timestamp?: string; columns?: string[]; filter?: string; output: string },
      ) => {
        if (opts.version !== undefined && opts.timestamp !== undefined) {
          throw new InvalidArgumentError("Give either --version or --timestamp, not both.");
        }
        const timestamp = opts.timestamp === undefined ? undefined : parseTimestamp(opts.timestamp);
        const table = await DeltaTable.open(tableStore(ctx, path, true), {
          ...(opts.version === undefined ? {} : { version: opts.version }),
          ...(timestamp === undefined ? {} : { timestamp }),
        });
        const scanOptions = {
          ...(opts.columns === undefined ? {} : { columns: opts.columns }),
          ...(opts.filter === undefined ? {} : { filter: opts.filter }),
        };
        const schema = projectSchema(table.schema(), opts.columns);
        if (opts.output === "-") {
          const started = Date.now();
          const { text, totalRows } = await renderTerminalTable(schema, table.scan(scanOptions));
          ctx.print(text);
          ctx.print(`${totalRows} rows (version ${table.version}, ${((Date.now() - started) / 1000).toFixed(2)} s)`);
          return;
        }
        const output = resolve(ctx.cwd, opts.output);
        const format = outputFormatFor(output);
        const progress = withProgress(table.scan(scanOptions), ctx.stderr, "reading");
        let rows: number;
        switch (format) {
          case "parquet":
            rows = await writeParquetOutput(output, progress.batches);
            break;
          case "arrow":
            rows = await writeArrowFile(output, schema, progress.batches);
            break;
          case "csv":
            rows = await writeCsvFile(output, schema, progress.batches);
            break;
          case "jsonl":
            rows = await writeJsonLinesFile(output, progress.batches);
            break;
        }
        progress.done();
        ctx.print(`Wrote ${rows} rows of version ${table.version} to ${output}`);
      },
    );

  delta
    .command("write")
    .description("Write a .parquet, .csv or .arrow file into a table (created when missing).")
    .argument("<path>", "table folder")
    .requiredOption("--input <file>", "input .parquet, .csv or .arrow file")
    .option("--mode <mode>", "append, overwrite or error (fail if the table exists)", "append")
    .option("--partition-by <a,b>", "partition columns for a new table", parseList)
    .action(async (path: string, opts: { input: string; mode: string; partitionBy?: string[] }) => {
      const mode = parseMode(opts.mode);
      const input = resolve(ctx.cwd, opts.input);
      if (!existsSync(input)) throw new NotFoundError(`Input file ${input} does not exist.`);
      const store = tableStore(ctx, path, false);
      // CSV carries no types: an existing table's schema tells how to parse its columns.
      const existing = existsSync(join(resolve(ctx.cwd, path), "_delta_log"))
        ? await DeltaTable.open(store)
        : undefined;
      const typeHints = mode === "overwrite" || existing === undefined ? undefined : existing.schema();
      const progress = withProgress(
        readTableFile(input, (file) => readParquetFileBatches(file), typeHints === undefined ? {} : { typeHints }),
        ctx.stderr,
        "writing",
      );
      const result = await writeDeltaTable(store, progress.batches, {
        mode,
        ...(opts.partitionBy === undefined ? {} : { partitionBy: opts.partitionBy }),
      });
      progress.done();
      ctx.print(
        `Committed version ${result.version}: ${result.numRows} rows in ${result.numFiles} files (${result.bytes} bytes)`,
      );
      if (result.checkpointError !== undefined) {
        ctx.stderr.write(
          `warning: version ${result.version} is committed, but writing its checkpoint failed (${result.checkpointError.message}); reads stay correct, the next checkpoint retries.\n`,
        );
      }
    });

  delta
    .command("vacuum")
    .description("Delete data files no longer referenced by the table and older than the retention period.")
    .argument("<path>", "table folder")
    .option(
      "--retention-hours <n>",
      "keep unreferenced files younger than this (default: the table's delta.deletedFileRetentionDuration, else 168 = 7 days)",
      parseCount,
    )
    .option("--dry-run", "only list what would be deleted", false)
    .option(
      "--no-enforce-retention",
      "allow a retention shorter than the table's delta.deletedFileRetentionDuration (breaks time travel and readers of old versions)",
    )
    .action(async (path: string, opts: { retentionHours?: number; dryRun: boolean; enforceRetention: boolean }) => {
      const result = await vacuum(tableStore(ctx, path, true), {
        dryRun: opts.dryRun,
        enforceRetentionDuration: opts.enforceRetention,
        ...(opts.retentionHours === undefined ? {} : { retentionHours: opts.retentionHours }),
      });
      for (const file of result.deleted) ctx.print(file);
      ctx.print(`${opts.dryRun ? "Would delete" : "Deleted"} ${result.deleted.length} files`);
    });
}

function tableStore(ctx: CliContext, path: string, mustExist: boolean) {
  const full = resolve(ctx.cwd, path);
  if (mustExist && !existsSync(full)) {
    throw new NotFoundError(`${full} does not exist; check the table path.`);
  }
  return createLocalObjectStore(full);
}

function projectSchema<T extends { select(names: string[]): T }>(schema: T, columns: string[] | undefined): T {
  return columns === undefined ? schema : schema.select(columns);
}

function parseMode(value: string): (typeof SAVE_MODES)[number] {
  const mode = SAVE_MODES.find((m) => m === value);
  if (mode === undefined) throw new InvalidArgumentError(`--mode must be append, overwrite or error, got ${value}.`);
  return mode;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`Expected a whole number >= 0, got ${value}.`);
  return n;
}

function parseList(value: string): string[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (items.length === 0) throw new InvalidArgumentError("Expected a comma-separated list of column names.");
  return items;
}

function parseTimestamp(value: string): Date {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(`--timestamp must be an ISO 8601 time such as 2024-05-01T12:00:00Z, got ${value}.`);
  }
  return new Date(ms);
}
