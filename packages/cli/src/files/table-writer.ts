import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { basename, dirname, extname } from "node:path";
import { InvalidArgumentError } from "@mlfusion/core";
import { createLocalObjectStore, createParquetFileWriter } from "@mlfusion/delta";
import { type RecordBatch, RecordBatchFileWriter, type Schema } from "apache-arrow";
import { toDisplayString, toJsonValue } from "./arrow-values.js";

/** Output formats the CLI writes, chosen by file extension. */
export type OutputFormat = "parquet" | "arrow" | "csv" | "jsonl";

/** The output format for a file name; InvalidArgumentError listing the choices otherwise. */
export function outputFormatFor(path: string): OutputFormat {
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case ".parquet":
      return "parquet";
    case ".arrow":
    case ".ipc":
    case ".feather":
      return "arrow";
    case ".csv":
      return "csv";
    case ".jsonl":
    case ".ndjson":
      return "jsonl";
    default:
      throw new InvalidArgumentError(
        `Cannot write ${path}: the output file must end in .parquet, .arrow, .csv or .jsonl (or be - for the terminal).`,
      );
  }
}

/** Writes Arrow IPC file format (random-access, readable by pyarrow.ipc.open_file and DuckDB). */
export async function writeArrowFile(
  path: string,
  schema: Schema,
  batches: AsyncIterable<RecordBatch>,
): Promise<number> {
  const writer = new RecordBatchFileWriter();
  const out = createWriteStream(path);
  const piped = writer.toNodeStream().pipe(out);
  let rows = 0;
  writer.reset(undefined, schema);
  for await (const batch of batches) {
    writer.write(batch);
    rows += batch.numRows;
  }
  writer.finish();
  await once(piped, "finish");
  return rows;
}

/** Writes CSV with a header row (RFC 4180 quoting; nulls as empty fields). */
export async function writeCsvFile(path: string, schema: Schema, batches: AsyncIterable<RecordBatch>): Promise<number> {
  return writeLines(path, batches, [schema.fields.map((f) => csvCell(f.name)).join(",")], (batch, i) =>
    batch.schema.fields
      .map((f, c) => {
        const v = batch.getChildAt(c)?.get(i);
        return v === null || v === undefined ? "" : csvCell(toDisplayString(v, f.type));
      })
      .join(","),
  );
}

/** Writes one JSON object per row. */
export async function writeJsonLinesFile(path: string, batches: AsyncIterable<RecordBatch>): Promise<number> {
  return writeLines(path, batches, [], (batch, i) => {
    const row: Record<string, unknown> = {};
    batch.schema.fields.forEach((f, c) => {
      row[f.name] = toJsonValue(batch.getChildAt(c)?.get(i), f.type);
    });
    return JSON.stringify(row);
  });
}

async function writeLines(
  path: string,
  batches: AsyncIterable<RecordBatch>,
  header: string[],
  line: (batch: RecordBatch, row: number) => string,
): Promise<number> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, "drain");
  };
  let rows = 0;
  try {
    for (const h of header) await write(`${h}\n`);
    for await (const batch of batches) {
      const lines: string[] = [];
      for (let i = 0; i < batch.numRows; i++) lines.push(line(batch, i));
      if (lines.length > 0) await write(`${lines.join("\n")}\n`);
      rows += batch.numRows;
    }
  } finally {
    out.end();
    await once(out, "close");
  }
  return rows;
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Writes Parquet (snappy, with statistics) through the Delta engine's Parquet writer, streaming row groups. */
export async function writeParquetOutput(path: string, batches: AsyncIterable<RecordBatch>): Promise<number> {
  const writer = createParquetFileWriter(createLocalObjectStore(dirname(path)), basename(path));
  try {
    for await (const batch of batches) await writer.write(batch);
  } catch (error) {
    await writer.abort(error);
    throw error;
  }
  await writer.finish();
  return writer.numRows;
}
