import { writeCheckpoint } from "../checkpoint/checkpoint-writer.js";
import type { ObjectStore } from "../storage/object-store.js";

/** Default `delta.checkpointInterval` (PROTOCOL.md "Checkpoints"; Spark and delta-rs use 10 as well). */
export const DEFAULT_CHECKPOINT_INTERVAL = 10;

/**
 * Writes a checkpoint after a successful commit when `version` is a multiple of `delta.checkpointInterval`.
 * A failure is returned, not thrown: the commit has already succeeded, and failing the write would make the
 * caller retry a write that is in the table. The next due checkpoint covers the table again.
 */
export async function maybeCheckpoint(
  store: ObjectStore,
  version: number,
  configuration: Readonly<Record<string, string>>,
): Promise<Error | undefined> {
  const configured = Number(configuration["delta.checkpointInterval"]);
  const interval = Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_CHECKPOINT_INTERVAL;
  if (version === 0 || version % interval !== 0) return undefined;
  try {
    await writeCheckpoint(store, version);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
