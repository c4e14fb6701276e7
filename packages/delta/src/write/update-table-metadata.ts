import { InvalidArgumentError } from "@mlfusion/core";
import { assertWritable } from "../protocol/writer-features.js";
import { loadSnapshot } from "../snapshot/snapshot.js";
import type { ObjectStore } from "../storage/object-store.js";
import { commitTransaction } from "../transaction/commit.js";
import { maybeCheckpoint } from "../transaction/post-commit.js";
import { validateConfiguration } from "./table-configuration.js";

/** What {@link updateTableMetadata} changes; configuration entries are merged, a null value removes the key. */
export interface TableMetadataUpdate {
  name?: string;
  description?: string;
  configuration?: Record<string, string | null>;
  signal?: AbortSignal;
}

/**
 * Commits a metaData action changing the table's name, description or properties (dataset descriptions and
 * tags). Resolves with the committed version, or the current one when nothing changes.
 *
 * @example
 * await updateTableMetadata(store, { description: "Daily prices", configuration: { "mlfusion.tag.team": "risk" } });
 */
export async function updateTableMetadata(
  store: ObjectStore,
  update: TableMetadataUpdate,
): Promise<{ version: number; checkpointError?: Error }> {
  const { signal } = update;
  const snapshot = await loadSnapshot(store, signal === undefined ? {} : { signal });
  assertWritable(snapshot.protocol, snapshot.metadata, snapshot.schema, store.location);
  const configuration: Record<string, string> = { ...snapshot.metadata.configuration };
  const set: Record<string, string> = {};
  for (const [key, value] of Object.entries(update.configuration ?? {})) {
    if (value === null) delete configuration[key];
    else {
      configuration[key] = value;
      set[key] = value;
    }
  }
  validateConfiguration(set);
  if (configuration["delta.appendOnly"] === "false" && snapshot.metadata.configuration["delta.appendOnly"] === "true") {
    throw new InvalidArgumentError("delta.appendOnly cannot be turned off once a table is append-only.");
  }
  const metadata = {
    ...snapshot.metadata,
    ...(update.name === undefined ? {} : { name: update.name }),
    ...(update.description === undefined ? {} : { description: update.description }),
    configuration,
  };
  if (JSON.stringify(metadata) === JSON.stringify(snapshot.metadata)) return { version: snapshot.version };
  const version = await commitTransaction(
    store,
    {
      readVersion: snapshot.version,
      actions: [{ metaData: metadata }],
      operation: "SET TBLPROPERTIES",
      operationParameters: { properties: JSON.stringify(set) },
      footprint: {
        readPredicate: "none",
        readFiles: new Set(),
        removedFiles: new Set(),
        changesMetadata: true,
        appIds: new Set(),
        isolationLevel: "WriteSerializable",
      },
    },
    signal === undefined ? {} : { signal },
  );
  // As in writeDeltaTable: the commit stands even if its checkpoint fails; the caller reports the failure.
  const checkpointError = await maybeCheckpoint(store, version, configuration);
  return checkpointError === undefined ? { version } : { version, checkpointError };
}
