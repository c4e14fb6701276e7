import { UnsupportedFeatureError } from "@mlfusion/core";
import type { RecordBatch, Schema } from "apache-arrow";
import type { AddAction, RemoveAction } from "../log/actions.js";
import type { StructType } from "../schema/delta-schema.js";
import type { Snapshot } from "../snapshot/snapshot.js";
import type { ObjectStore } from "../storage/object-store.js";
import type { DataFileWriter } from "./data-file-writer.js";

/** A compiled replaceWhere predicate (Delta's `replaceWhere` option: overwrite only the matching rows). */
export interface ReplaceWhere {
  /** Throws InvalidArgumentError when a written row does not match the predicate. */
  assertAllMatch(batch: RecordBatch): void;
  /** Whether a file could hold matching rows (partition values and stats); true when unknown. */
  mightMatch(add: AddAction): boolean;
  /** Removes the files holding matching rows, rewriting the rows they keep; returns removes and files read. */
  rewriteMatchingFiles(
    store: ObjectStore,
    snapshot: Snapshot,
    writer: DataFileWriter,
    physical: Schema,
    signal: AbortSignal | undefined,
  ): Promise<{ removes: RemoveAction[]; readFiles: Set<string> }>;
}

/** Compiles a replaceWhere predicate against the table schema. */
export function compileReplaceWhere(
  predicate: string,
  _schema: StructType,
  _partitionColumns: readonly string[],
): ReplaceWhere {
  throw new UnsupportedFeatureError("replaceWhere", `replaceWhere (${predicate}) is not available yet.`);
}
