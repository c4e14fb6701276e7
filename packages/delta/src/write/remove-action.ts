import type { AddAction, RemoveAction } from "../log/actions.js";

/** A tombstone for an active file (PROTOCOL.md "Add File and Remove File"). */
export function toRemove(add: AddAction, deletionTimestamp: number): RemoveAction {
  const remove: RemoveAction = {
    path: add.path,
    deletionTimestamp,
    dataChange: true,
    extendedFileMetadata: true,
    partitionValues: add.partitionValues,
    size: add.size,
  };
  if (add.stats != null) remove.stats = add.stats;
  if (add.tags != null) remove.tags = add.tags;
  if (add.deletionVector != null) remove.deletionVector = add.deletionVector;
  if (add.baseRowId != null) remove.baseRowId = add.baseRowId;
  if (add.defaultRowCommitVersion != null) remove.defaultRowCommitVersion = add.defaultRowCommitVersion;
  return remove;
}
