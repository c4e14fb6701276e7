import { createReadStream } from "node:fs";
import { InvalidArgumentError } from "@mlfusion/core";
import {
  Bool,
  DataType,
  DateDay,
  Field,
  Float64,
  Int64,
  makeBuilder,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Timestamp,
  TimeUnit,
  Utf8,
} from "apache-arrow";
import { parse } from "csv-parse";

/** Rows sampled to infer column types before the first batch is emitted. */
const SAMPLE_ROWS = 10_000;
/** Rows per emitted RecordBatch. */
const BATCH_ROWS = 65_536;

type ColumnKind = "int" | "float" | "bool" | "date" | "timestamp_tz" | "timestamp_ntz" | "string";

const INT = /^[-+]?\d+$/;
const FLOAT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?(inf|infinity|nan)$/i;
const BOOL = /^(true|false)$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TS_TZ = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const TS_NTZ = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * Reads a CSV file with a header row as Arrow RecordBatches. Column types are inferred from the first
 * rows (integers, floats, booleans, dates, timestamps, else strings); empty fields are nulls. A later value
 * that does not fit the inferred type fails with its line number rather than being silently mangled.
 */
export async function* readCsvFile(
  path: string,
  options: { signal?: AbortSignal; typeHints?: Schema } = {},
): AsyncGenerator<RecordBatch> {
  const { signal, typeHints } = options;
  const parser = createReadStream(path).pipe(
    parse({ bom: true, relax_column_count: false, skip_empty_lines: true, ...(signal ? { signal } : {}) }),
  );
  let header: string[] | undefined;
  let kinds: ColumnKind[] | undefined;
  let schema: Schema | undefined;
  let pending: string[][] = [];
  let firstDataLine = 2;
  for await (const record of parser as AsyncIterable<unknown>) {
    if (!Array.isArray(record)) continue;
    const row = record.map((v) => String(v));
    if (header === undefined) {
      header = row;
      if (new Set(header).size !== header.length) {
        throw new InvalidArgumentError(`${path}: the CSV header has duplicate column names; rename them.`);
      }
      continue;
    }
    pending.push(row);
    if (kinds === undefined) {
      if (pending.length < SAMPLE_ROWS) continue;
      ({ kinds, schema } = resolveColumns(header, pending, typeHints));
    }
    if (pending.length >= BATCH_ROWS && schema !== undefined) {
      yield buildBatch(schema, kinds, pending, path, firstDataLine);
      firstDataLine += pending.length;
      pending = [];
    }
  }
  if (header === undefined) throw new InvalidArgumentError(`${path} is empty; a CSV file needs a header row.`);
  if (kinds === undefined || schema === undefined) ({ kinds, schema } = resolveColumns(header, pending, typeHints));
  if (pending.length > 0 || firstDataLine === 2) yield buildBatch(schema, kinds, pending, path, firstDataLine);
}

function inferKinds(header: string[], rows: string[][]): ColumnKind[] {
  return header.map((_, c) => {
    let kind: ColumnKind | undefined;
    for (const row of rows) {
      const v = row[c] ?? "";
      if (v === "") continue;
      kind = widen(kind, kindOf(v));
      if (kind === "string") break;
    }
    return kind ?? "string";
  });
}

function kindOf(v: string): ColumnKind {
  if (INT.test(v)) return "int";
  if (FLOAT.test(v)) return "float";
  if (BOOL.test(v)) return "bool";
  if (DATE.test(v)) return "date";
  if (TS_TZ.test(v)) return "timestamp_tz";
  if (TS_NTZ.test(v)) return "timestamp_ntz";
  return "string";
}

function widen(a: ColumnKind | undefined, b: ColumnKind): ColumnKind {
  if (a === undefined || a === b) return b;
  if ((a === "int" && b === "float") || (a === "float" && b === "int")) return "float";
  return "string";
}

/**
 * Column kinds and the Arrow schema: a column named in `typeHints` (the target table's schema) takes that
 * type when it is one CSV can express, so appending a CSV whose sample looks like integers into a double
 * column just works; other columns are inferred from the sample.
 */
function resolveColumns(
  header: string[],
  sample: string[][],
  typeHints: Schema | undefined,
): { kinds: ColumnKind[]; schema: Schema } {
  const inferred = inferKinds(header, sample);
  const kinds: ColumnKind[] = [];
  const fields = header.map((name, i) => {
    const hint = typeHints?.fields.find((f) => f.name === name);
    const hintedKind = hint === undefined ? undefined : kindForType(hint.type);
    const kind = hintedKind ?? inferred[i] ?? "string";
    kinds.push(kind);
    return new Field(name, hint !== undefined && hintedKind !== undefined ? hint.type : arrowType(kind), true);
  });
  return { kinds, schema: new Schema(fields) };
}

function kindForType(type: DataType): ColumnKind | undefined {
  if (DataType.isInt(type)) return "int";
  if (DataType.isFloat(type)) return "float";
  if (DataType.isBool(type)) return "bool";
  if (DataType.isDate(type) && type.unit === 0) return "date";
  if (DataType.isTimestamp(type) && type.unit === TimeUnit.MICROSECOND) {
    return type.timezone ? "timestamp_tz" : "timestamp_ntz";
  }
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return "string";
  return undefined;
}

function arrowType(kind: ColumnKind): DataType {
  switch (kind) {
    case "int":
      return new Int64();
    case "float":
      return new Float64();
    case "bool":
      return new Bool();
    case "date":
      return new DateDay();
    case "timestamp_tz":
      return new Timestamp(TimeUnit.MICROSECOND, "UTC");
    case "timestamp_ntz":
      return new Timestamp(TimeUnit.MICROSECOND, null);
    case "string":
      return new Utf8();
  }
}

function buildBatch(
  schema: Schema,
  kinds: ColumnKind[],
  rows: string[][],
  path: string,
  firstLine: number,
): RecordBatch {
  const children = schema.fields.map((field, c) => {
    const kind = kinds[c] ?? "string";
    if (kind === "timestamp_tz" || kind === "timestamp_ntz") {
      return buildTimestamps(field.type, rows, c, kind, path, firstLine, field.name);
    }
    const builder = makeBuilder({ type: field.type, nullValues: [null] });
    for (let r = 0; r < rows.length; r++) {
      const raw = rows[r]?.[c] ?? "";
      const value = raw === "" ? null : convert(raw, kind, path, firstLine + r, field.name);
      builder.append(
        typeof value === "bigint" ? fitInteger(value, field.type, path, firstLine + r, field.name) : value,
      );
    }
    return builder.finish().flush();
  });
  const struct = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new RecordBatch(schema, struct);
}

/** Timestamps are built directly as int64 microseconds: apache-arrow's builders take whole milliseconds only. */
function buildTimestamps(
  type: DataType,
  rows: string[][],
  c: number,
  kind: "timestamp_tz" | "timestamp_ntz",
  path: string,
  firstLine: number,
  column: string,
) {
  const values = new BigInt64Array(rows.length);
  const validity = new Uint8Array(Math.ceil(rows.length / 8));
  let nullCount = 0;
  for (let r = 0; r < rows.length; r++) {
    const raw = rows[r]?.[c] ?? "";
    if (raw === "") {
      nullCount += 1;
      continue;
    }
    values[r] = parseTimestampMicros(raw, kind, path, firstLine + r, column);
    validity[r >> 3] = (validity[r >> 3] ?? 0) | (1 << (r & 7));
  }
  return makeData({
    type: type as Timestamp,
    length: rows.length,
    nullCount,
    data: values,
    nullBitmap: nullCount > 0 ? validity : null,
  });
}

/** Checks an integer against the column's integer type; 64-bit columns keep bigint, narrower take numbers. */
function fitInteger(value: bigint, type: DataType, path: string, line: number, column: string): bigint | number {
  if (!DataType.isInt(type)) return Number(value);
  const bits = BigInt(type.bitWidth);
  const min = type.isSigned ? -(1n << (bits - 1n)) : 0n;
  const max = type.isSigned ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (value < min || value > max) {
    throw new InvalidArgumentError(
      `${path} line ${line}: column ${JSON.stringify(column)} holds ${value}, outside the range of its type ${String(type)}.`,
    );
  }
  return type.bitWidth === 64 ? value : Number(value);
}

function parseTimestampMicros(raw: string, kind: ColumnKind, path: string, line: number, column: string): bigint {
  const pattern = kind === "timestamp_tz" ? TS_TZ : TS_NTZ;
  const iso = raw.replace(" ", "T");
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? "";
  const whole = iso.replace(/\.\d+/, "");
  const ms = pattern.test(raw) ? Date.parse(kind === "timestamp_ntz" ? `${whole}Z` : whole) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(
      `${path} line ${line}: column ${JSON.stringify(column)} holds ${JSON.stringify(raw)}, which is not a timestamp like the rows before it; fix the value.`,
    );
  }
  return BigInt(ms) * 1000n + BigInt(fraction.padEnd(6, "0").slice(0, 6));
}

function convert(raw: string, kind: ColumnKind, path: string, line: number, column: string): unknown {
  const fail = (): never => {
    throw new InvalidArgumentError(
      `${path} line ${line}: column ${JSON.stringify(column)} holds ${JSON.stringify(raw)}, which is not a ${kind} like the rows before it; fix the value or quote the column as text.`,
    );
  };
  switch (kind) {
    case "int":
      return INT.test(raw) ? BigInt(raw) : fail();
    case "float":
      return FLOAT.test(raw) ? parseFloatSpecial(raw) : fail();
    case "bool":
      return BOOL.test(raw) ? raw.toLowerCase() === "true" : fail();
    case "date": {
      if (!DATE.test(raw)) fail();
      const ms = Date.parse(`${raw}T00:00:00Z`);
      return Number.isNaN(ms) ? fail() : new Date(ms);
    }
    case "timestamp_tz":
    case "timestamp_ntz":
      return parseTimestampMicros(raw, kind, path, line, column);
    case "string":
      return raw;
  }
}

function parseFloatSpecial(raw: string): number {
  const lower = raw.toLowerCase().replace(/^\+/, "");
  if (lower === "nan") return Number.NaN;
  if (lower === "inf" || lower === "infinity") return Number.POSITIVE_INFINITY;
  if (lower === "-inf" || lower === "-infinity") return Number.NEGATIVE_INFINITY;
  return Number(raw);
}
