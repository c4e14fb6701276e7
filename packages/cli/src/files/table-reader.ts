import { createReadStream } from "node:fs";
import { extname } from "node:path";
import { InvalidArgumentError } from "@mlfusion/core";
import { type RecordBatch, RecordBatchReader, type Schema } from "apache-arrow";
import { readCsvFile } from "./csv-reader.js";

/** Input formats the CLI reads, chosen by file extension. */
export type InputFormat = "parquet" | "arrow" | "csv";

/** The input format for a file name; InvalidArgumentError listing the choices otherwise. */
export function inputFormatFor(path: string): InputFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".parquet") return "parquet";
  if (ext === ".arrow" || ext === ".ipc" || ext === ".feather" || ext === ".arrows") return "arrow";
  if (ext === ".csv") return "csv";
  throw new InvalidArgumentError(`Cannot read ${path}: the input file must end in .parquet, .csv or .arrow.`);
}

/** Streams an Arrow IPC file or stream as RecordBatches. */
export async function* readArrowFile(path: string): AsyncGenerator<RecordBatch> {
  const reader = await RecordBatchReader.from(createReadStream(path));
  for await (const batch of reader) yield batch;
}

/**
 * Streams any supported input file (.csv, .arrow; .parquet through `readParquet`) as RecordBatches. CSV
 * columns named in `typeHints` (the target table's schema) are parsed as those types.
 */
export function readTableFile(
  path: string,
  readParquet: (path: string) => AsyncIterable<RecordBatch>,
  options: { signal?: AbortSignal; typeHints?: Schema } = {},
): AsyncIterable<RecordBatch> {
  switch (inputFormatFor(path)) {
    case "csv":
      return readCsvFile(path, options);
    case "arrow":
      return readArrowFile(path);
    case "parquet":
      return readParquet(path);
  }
}
