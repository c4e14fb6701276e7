import { FusionServiceClient, SaveMode } from "@mlfusion/client";
import { InvalidArgumentError } from "@mlfusion/core";
import { readParquetFileBatches } from "@mlfusion/delta";
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
import { type ConfigFlags, parsePort } from "../load-config.js";
import { withProgress } from "../progress.js";

interface ConnectionOptions {
  host?: string;
  port?: string;
  token?: string;
}

/** Parses `demo/model_training/dataset` into asset key segments. */
function parseKey(text: string): string[] {
  const key = text.split("/");
  if (key.some((segment) => segment === "")) {
    throw new InvalidArgumentError(
      `Invalid dataset key ${JSON.stringify(text)}; write keys as area/name, e.g. demo/data.`,
    );
  }
  return key;
}

function parseList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

const SAVE_MODES: Record<string, SaveMode> = {
  append: SaveMode.Append,
  overwrite: SaveMode.Overwrite,
  error: SaveMode.ErrorIfExists,
};

/**
 * `fusion datasets ls | show KEY | history KEY | drop KEY | put KEY FILE | get KEY --output FILE`: datasets on the
 * Flight server found from flags, `FF_HOST`/`FF_PORT`/`FF_TOKEN`, or the workspace config.
 */
export function registerDatasetsCommands(program: Command, ctx: CliContext): void {
  const datasets = program
    .command("datasets")
    .description("List, inspect, read and write the datasets of an ML Fusion server.")
    .option("--host <host>", "server host (default: workspace config, FF_HOST, 127.0.0.1)")
    .option("--port <port>", "server port (default: workspace config, FF_PORT, 50051)")
    .option("--token <token>", "bearer token, when the server requires one (FF_TOKEN)");

  const withClient = async <T>(command: Command, run: (client: FusionServiceClient) => Promise<T>): Promise<T> => {
    const opts = command.optsWithGlobals<ConnectionOptions>();
    const flags: ConfigFlags = {};
    if (opts.host !== undefined) flags.host = opts.host;
    if (opts.port !== undefined) flags.port = parsePort(opts.port, "--port");
    if (opts.token !== undefined) flags.token = opts.token;
    const config = await ctx.config(flags);
    const client = new FusionServiceClient({
      host: config.server.host,
      port: config.server.port,
      ...(config.server.token === undefined ? {} : { token: config.server.token }),
    });
    try {
      return await run(client);
    } finally {
      await client.close();
    }
  };

  datasets
    .command("ls")
    .description("List datasets, optionally under an area prefix such as demo/.")
    .argument("[prefix]", "area prefix, e.g. demo/model_training")
    .action(async (prefix: string | undefined, _opts: unknown, command: Command) => {
      const keys = await withClient(command, (client) =>
        client.listDatasets(prefix === undefined ? [] : prefix.split("/").filter((s) => s !== "")),
      );
      for (const key of keys) ctx.print(key.join("/"));
    });

  datasets
    .command("show")
    .description("Show a dataset's metadata, schema and first rows.")
    .argument("<key>", "dataset key, e.g. demo/model_training/dataset")
    .option("--rows <n>", "rows to preview", "10")
    .action(async (keyText: string, opts: { rows: string }, command: Command) => {
      await withClient(command, async (client) => {
        const dataset = client.getDatasetClient(parseKey(keyText));
        const meta = await dataset.metadata();
        const schema = await dataset.schema();
        ctx.print(`dataset:     ${keyText}`);
        ctx.print(`name:        ${meta.name}`);
        if (meta.description !== "") ctx.print(`description: ${meta.description}`);
        ctx.print(`rows:        ${meta.totalRecords}`);
        ctx.print(`bytes:       ${meta.totalBytes}`);
        for (const [k, v] of Object.entries(meta.tags)) ctx.print(`tag:         ${k}=${v}`);
        for (const [k, v] of Object.entries(meta.properties)) ctx.print(`property:    ${k}=${v}`);
        ctx.print("schema:");
        for (const field of schema.fields)
          ctx.print(`  ${field.name}: ${String(field.type)}${field.nullable ? "" : " not null"}`);
        const maxRows = Number(opts.rows);
        if (maxRows > 0) {
          const preview = await renderTerminalTable(schema, firstRows(dataset.stream(), maxRows), { maxRows });
          ctx.print(preview.text);
        }
      });
    });

  datasets
    .command("history")
    .description("Show a dataset's versions, newest first.")
    .argument("<key>", "dataset key")
    .option("--limit <n>", "at most this many versions")
    .action(async (keyText: string, opts: { limit?: string }, command: Command) => {
      const entries = await withClient(command, (client) =>
        client
          .getDatasetClient(parseKey(keyText))
          .history(opts.limit === undefined ? {} : { limit: Number(opts.limit) }),
      );
      ctx.print("version\ttimestamp\toperation\trows added");
      for (const e of entries) {
        ctx.print(`${e.version}\t${new Date(e.timestamp).toISOString()}\t${e.operation}\t${e.rowsAdded ?? ""}`);
      }
    });

  datasets
    .command("drop")
    .description("Delete a dataset and its data.")
    .argument("<key>", "dataset key")
    .action(async (keyText: string, _opts: unknown, command: Command) => {
      await withClient(command, (client) => client.getDatasetClient(parseKey(keyText)).drop());
      ctx.print(`Dropped ${keyText}`);
    });

  datasets
    .command("put")
    .description("Write a Parquet, CSV or Arrow file into a dataset.")
    .argument("<key>", "dataset key")
    .argument("<file>", "input file (.parquet, .csv, .arrow)")
    .option("--mode <mode>", "append, overwrite or error (if the dataset exists)", "append")
    .option("--partition-by <columns>", "comma-separated partition columns (new datasets)")
    .option("--predicate <expr>", "with --mode overwrite: replace only the rows matching this predicate")
    .action(
      async (
        keyText: string,
        file: string,
        opts: { mode: string; partitionBy?: string; predicate?: string },
        command: Command,
      ) => {
        const mode = SAVE_MODES[opts.mode];
        if (mode === undefined) {
          throw new InvalidArgumentError(`Unknown --mode ${opts.mode}; use append, overwrite or error.`);
        }
        const key = parseKey(keyText);
        const progress = withProgress(
          readTableFile(file, (path) => readParquetFileBatches(path)),
          ctx.stderr,
          "put",
        );
        const partitionBy = parseList(opts.partitionBy);
        const result = await withClient(command, (client) =>
          client.getDatasetClient(key).writeInto(progress.batches, mode, {
            ...(partitionBy === undefined ? {} : { partitionBy }),
            ...(opts.predicate === undefined ? {} : { predicate: opts.predicate }),
          }),
        );
        progress.done();
        ctx.print(`Wrote ${result.numRows} rows to ${keyText}`);
      },
    );

  datasets
    .command("get")
    .description("Read a dataset into a file (.parquet, .arrow, .csv or .jsonl), or onto the terminal with -.")
    .argument("<key>", "dataset key")
    .requiredOption("--output <file>", "output file (the extension picks the format), or - for a table on the terminal")
    .option("--columns <columns>", "comma-separated columns to read")
    .option("--version <n>", "read this version (time travel)")
    .option("--filter <expr>", 'row filter, e.g. "year = 2024"')
    .action(
      async (
        keyText: string,
        opts: { output: string; columns?: string; version?: string; filter?: string },
        command: Command,
      ) => {
        const toTerminal = opts.output === "-";
        const format = toTerminal ? undefined : outputFormatFor(opts.output);
        const columns = parseList(opts.columns);
        const rows = await withClient(command, async (client) => {
          const dataset = client.getDatasetClient(parseKey(keyText));
          const { schema: selected, batches } = await dataset.read({
            ...(columns === undefined ? {} : { columns }),
            ...(opts.version === undefined ? {} : { version: Number(opts.version) }),
            ...(opts.filter === undefined ? {} : { filter: opts.filter }),
          });
          if (toTerminal) {
            const { text, totalRows } = await renderTerminalTable(selected, batches);
            ctx.print(text);
            return totalRows;
          }
          const progress = withProgress(batches, ctx.stderr, "get");
          const written =
            format === "parquet"
              ? await writeParquetOutput(opts.output, progress.batches)
              : format === "arrow"
                ? await writeArrowFile(opts.output, selected, progress.batches)
                : format === "csv"
                  ? await writeCsvFile(opts.output, selected, progress.batches)
                  : await writeJsonLinesFile(opts.output, progress.batches);
          progress.done();
          return written;
        });
        ctx.print(toTerminal ? `${rows} rows of ${keyText}` : `Wrote ${rows} rows of ${keyText} to ${opts.output}`);
      },
    );
}

async function* firstRows<T extends { numRows: number; slice(begin: number, end: number): T }>(
  batches: AsyncIterable<T>,
  limit: number,
): AsyncGenerator<T> {
  let left = limit;
  for await (const batch of batches) {
    if (left <= 0) return;
    yield batch.numRows > left ? batch.slice(0, left) : batch;
    left -= batch.numRows;
    if (left <= 0) return;
  }
}
