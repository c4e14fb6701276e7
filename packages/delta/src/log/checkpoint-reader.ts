import type { RecordBatch } from "apache-arrow";
import { readParquetFile } from "../parquet/parquet-reader.js";
import type { ObjectStore } from "../storage/object-store.js";
import { decodeActionPath } from "./action-path.js";
import { type Action, parseAction, parseCommitFile } from "./actions.js";
import { type Checkpoint, LOG_FOLDER } from "./log-segment.js";
import { plainReader } from "./plain-value.js";

// Reads the actions of a checkpoint (PROTOCOL.md "Checkpoints"): classic single-file, multi-part, and V2
// (json or parquet, with sidecar files), including V2 content written under a classic file name.

const CHECKPOINT_COLUMNS = [
  "add",
  "remove",
  "metaData",
  "protocol",
  "txn",
  "domainMetadata",
  "checkpointMetadata",
  "sidecar",
] as const;

/**
 * All actions of a checkpoint, sidecars included. Checkpoint files never hold commitInfo or cdc actions.
 *
 * @example
 * const actions = await readCheckpointActions(store, segment.checkpoint);
 */
export async function readCheckpointActions(
  store: ObjectStore,
  checkpoint: Checkpoint,
  signal?: AbortSignal,
): Promise<Action[]> {
  const actions: Action[] = [];
  for (const file of checkpoint.files) {
    const own = await readCheckpointFile(store, file.path, signal);
    for (const action of own) {
      if ("sidecar" in action) {
        const sidecarPath = `${LOG_FOLDER}_sidecars/${decodeActionPath(action.sidecar.path)}`;
        for (const a of await readCheckpointFile(store, sidecarPath, signal)) actions.push(a);
      } else {
        actions.push(action);
      }
    }
  }
  return actions;
}

async function readCheckpointFile(
  store: ObjectStore,
  path: string,
  signal: AbortSignal | undefined,
): Promise<Action[]> {
  if (path.endsWith(".json")) return parseCommitFile(await store.get(path, signal), path);
  const batches = await readParquetFile(
    store,
    path,
    signal === undefined ? { columns: CHECKPOINT_COLUMNS } : { columns: CHECKPOINT_COLUMNS, signal },
  );
  const actions: Action[] = [];
  for (const batch of batches) actionsFromBatch(batch, path, actions);
  return actions;
}

function actionsFromBatch(batch: RecordBatch, path: string, out: Action[]): void {
  const columns = CHECKPOINT_COLUMNS.flatMap((name) => {
    const vector = batch.getChild(name);
    return vector === null ? [] : [{ name, vector, read: plainReader(vector) }];
  });
  for (let row = 0; row < batch.numRows; row++) {
    for (const { name, vector, read } of columns) {
      if (!vector.isValid(row)) continue;
      const action = parseAction({ [name]: read(row) }, `${path} row ${row}`);
      if (action !== undefined) out.push(action);
      break;
    }
  }
}
