/** How `writeInto` treats a dataset that already has data. */
export const SaveMode = {
  /** Add the rows (the default); creates the dataset when missing. */
  Append: "append",
  /** Replace all rows, or with `predicate` only the rows matching it. */
  Overwrite: "overwrite",
  /** Fail with AlreadyExistsError when the dataset exists. */
  ErrorIfExists: "error",
} as const;

export type SaveMode = (typeof SaveMode)[keyof typeof SaveMode];
