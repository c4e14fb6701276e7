import { InvalidArgumentError } from "@mlfusion/core";
import type { RecordBatch, Schema } from "apache-arrow";
import { deletedRowCursor, loadDeletionVector } from "../deletion-vectors/deletion-vector.js";
import { type ColumnStats, mayMatch } from "../expression/data-skipping.js";
import { evaluateOnBatch } from "../expression/evaluate-batch.js";
import { expressionToString, referencedColumns } from "../expression/expression.js";
import { parseExpression } from "../expression/parse-expression.js";
import { type ResolvedExpression, resolveExpression } from "../expression/resolve-expression.js";
import { scalarFromJson, scalarFromText } from "../expression/scalar.js";
import { decodeActionPath } from "../log/action-path.js";
import type { AddAction, RemoveAction } from "../log/actions.js";
import { isRecord } from "../log/actions.js";
import { readParquetBatches } from "../parquet/parquet-reader.js";
import type { DataType, StructType } from "../schema/delta-schema.js";
import type { Snapshot } from "../snapshot/snapshot.js";
import type { ObjectStore } from "../storage/object-store.js";
import type { DataFileWriter } from "./data-file-writer.js";
import { castBatchToPhysical } from "./physical-cast.js";
import { toRemove } from "./remove-action.js";

// Delta's replaceWhere: an overwrite that replaces only the rows matching a predicate. Every written row must
// match it; files whose rows all match are removed; files holding some matching rows are rewritten with the
// rows that do not match (as delta-rs does); other files stay.

/** A compiled replaceWhere predicate. */
export interface ReplaceWhere {
  /** Throws InvalidArgumentError when a written row does not match the predicate. */
  assertAllMatch(batch: RecordBatch): void;
  /** Whether a file could hold matching rows (from partition values and stats); true when unknown. */
  mightMatch(add: AddAction): boolean;
  /** Removes the files holding matching rows, rewriting the rows they keep; returns removes and files read. */
  rewriteMatchingFiles(
    store: ObjectStore,
    snapshot: Snapshot,
    writer: DataFileWriter,
    fileSchema: Schema,
    signal: AbortSignal | undefined,
  ): Promise<{ removes: RemoveAction[]; readFiles: Set<string> }>;
}

/**
 * Compiles a replaceWhere predicate against the table schema (InvalidArgumentError for a malformed predicate or
 * unknown column).
 *
 * @example
 * const rw = compileReplaceWhere("day = '2024-01-01'", schema, ["day"]);
 */
export function compileReplaceWhere(
  predicate: string,
  schema: StructType,
  partitionColumns: readonly string[],
): ReplaceWhere {
  const parsed = parseExpression(predicate);
  const resolved = resolveExpression(parsed, schema);
  const text = expressionToString(parsed);
  const partitionOnly = referencedColumns(parsed).every(
    (path) => path.length === 1 && partitionColumns.includes(path[0] ?? ""),
  );
  const types = new Map<string, DataType>(schema.fields.map((f) => [f.name, f.type]));

  const mightMatch = (add: AddAction): boolean => mayMatch(resolved, statsLookup(add, types, partitionColumns));

  return {
    mightMatch,
    assertAllMatch(batch: RecordBatch): void {
      const mask = evaluateOnBatch(resolved, batch);
      const misses = mask.length - mask.reduce((n, m) => n + m, 0);
      if (misses > 0) {
        throw new InvalidArgumentError(
          `${misses} written rows do not match the replaceWhere predicate ${text}; write only rows that match it.`,
        );
      }
    },
    async rewriteMatchingFiles(store, snapshot, writer, fileSchema, signal) {
      const removes: RemoveAction[] = [];
      const readFiles = new Set<string>();
      const now = Date.now();
      for (const add of snapshot.files) {
        if (!mightMatch(add)) continue;
        const path = decodeActionPath(add.path);
        readFiles.add(path);
        if (partitionOnly) {
          // The partition values decide exactly: the whole file matches.
          removes.push(toRemove(add, now));
          continue;
        }
        const bound = bindPartitionValues(resolved, add, types);
        // Rows a deletion vector removed are already gone: neither kept nor counted as matches.
        const isDeleted =
          add.deletionVector == null
            ? undefined
            : deletedRowCursor(await loadDeletionVector(store, add.deletionVector, signal));
        const kept: RecordBatch[] = [];
        let matched = 0;
        let rowBase = 0;
        for await (const raw of readParquetBatches(store, path, signal === undefined ? {} : { signal })) {
          const batch = castBatchToPhysical(raw, fileSchema);
          const mask = evaluateOnBatch(bound, batch);
          for (let i = 0; i < mask.length; i++) {
            if (isDeleted?.(rowBase + i) === true) mask[i] = DELETED;
            else if (mask[i] === 1) matched += 1;
          }
          rowBase += batch.numRows;
          kept.push(...keepRows(batch, mask));
        }
        if (matched === 0) {
          readFiles.delete(path);
          continue;
        }
        removes.push(toRemove(add, now));
        for (const batch of kept) await writer.writeToPartition(add.partitionValues, batch);
      }
      return { removes, readFiles };
    },
  };
}

/** Statistics of a file per column: exact for partition columns, from `add.stats` for data columns. */
function statsLookup(
  add: AddAction,
  types: ReadonlyMap<string, DataType>,
  partitionColumns: readonly string[],
): (path: readonly string[]) => ColumnStats | undefined {
  let parsed: Record<string, unknown> | undefined;
  const stats = (): Record<string, unknown> => {
    if (parsed === undefined) {
      const value: unknown = add.stats == null ? {} : JSON.parse(add.stats);
      parsed = isRecord(value) ? value : {};
    }
    return parsed;
  };
  return (path) => {
    const [name] = path;
    if (name === undefined) return undefined;
    const numRecords = typeof stats().numRecords === "number" ? Number(stats().numRecords) : undefined;
    if (path.length === 1 && partitionColumns.includes(name)) {
      const type = types.get(name);
      const text = add.partitionValues[name];
      if (type === undefined) return undefined;
      if (text === null || text === undefined) {
        return numRecords === undefined
          ? { nullCount: Number.MAX_SAFE_INTEGER }
          : { nullCount: numRecords, numRecords };
      }
      const value = scalarFromText(text, type);
      if (value === undefined) return undefined;
      return { min: value, max: value, nullCount: 0, ...(numRecords === undefined ? {} : { numRecords }) };
    }
    if (path.length !== 1) return undefined;
    const type = types.get(name);
    if (type === undefined || typeof type !== "string") return undefined;
    const pick = (key: string): unknown => {
      const group = stats()[key];
      return isRecord(group) ? group[name] : undefined;
    };
    const out: ColumnStats = {};
    if (numRecords !== undefined) out.numRecords = numRecords;
    const nullCount = pick("nullCount");
    if (typeof nullCount === "number") out.nullCount = nullCount;
    const min = scalarFromJson(pick("minValues"), type);
    let max = scalarFromJson(pick("maxValues"), type);
    // Timestamp maxima are truncated to milliseconds: widen by 1 ms so no matching row is missed.
    if ((type === "timestamp" || type === "timestamp_ntz") && typeof max === "bigint") max += 1000n;
    if (min !== undefined && max !== undefined) {
      out.min = min;
      out.max = max;
    }
    return out;
  };
}

/** Replaces references to partition columns with the file's partition values (data files do not hold them). */
function bindPartitionValues(
  e: ResolvedExpression,
  add: AddAction,
  types: ReadonlyMap<string, DataType>,
): ResolvedExpression {
  const bind = (x: ResolvedExpression): ResolvedExpression => bindPartitionValues(x, add, types);
  switch (e.kind) {
    case "column": {
      const name = e.path[0];
      if (e.path.length !== 1 || name === undefined || !(name in add.partitionValues)) return e;
      const text = add.partitionValues[name];
      const type = types.get(name);
      const value =
        text === null || text === undefined || type === undefined ? null : (scalarFromText(text, type) ?? null);
      return { kind: "literal", value };
    }
    case "literal":
      return e;
    case "comparison":
      return { ...e, left: bind(e.left), right: bind(e.right) };
    case "and":
    case "or":
      return { kind: e.kind, children: e.children.map(bind) };
    case "not":
      return { kind: "not", child: bind(e.child) };
    case "in":
      return { kind: "in", operand: bind(e.operand), values: e.values.map(bind) };
    case "isNull":
      return { kind: "isNull", operand: bind(e.operand) };
  }
}

/** Mask value of a row removed by the file's deletion vector. */
const DELETED = 2;

/** The rows of `batch` whose mask is 0 (no match, not deleted), as zero-copy slices of consecutive rows. */
function keepRows(batch: RecordBatch, mask: Uint8Array): RecordBatch[] {
  const out: RecordBatch[] = [];
  let start = -1;
  for (let i = 0; i <= batch.numRows; i++) {
    const keep = i < batch.numRows && mask[i] === 0;
    if (keep && start < 0) start = i;
    if (!keep && start >= 0) {
      out.push(batch.slice(start, i));
      start = -1;
    }
  }
  return out;
}
