import { LOG_FOLDER, parseLogFile } from "../log/log-segment.js";
import type { ObjectStore } from "../storage/object-store.js";

/** True when `store` holds a Delta table: its `_delta_log/` has at least one commit or checkpoint. */
export async function tableExists(store: ObjectStore, signal?: AbortSignal): Promise<boolean> {
  const files = await store.list(LOG_FOLDER, signal === undefined ? {} : { signal });
  return files.some((meta) => {
    const kind = parseLogFile(meta)?.kind;
    return kind === "commit" || kind === "checkpoint";
  });
}
