import { InvalidArgumentError } from "@mlfusion/core";
import type { StructField, StructType } from "../schema/delta-schema.js";
import { typeToString } from "../schema/delta-schema.js";

// Schema enforcement and evolution for writes to an existing table (Delta's "schema validation" and
// mergeSchema / overwriteSchema options, as delta-rs' schema_mode).

/** How a write may change the table schema: not at all, by adding columns, or by replacing it. */
export type SchemaMode = "merge" | "overwrite";

/**
 * The schema a write produces. Without a schema mode the input must match the table: every input column must
 * exist with the same type; table columns missing from the input must be nullable (they are written as nulls).
 * "merge" also accepts new columns (added as nullable). One InvalidArgumentError lists every mismatch.
 *
 * @example
 * const { schema, changed } = resolveWriteSchema(snapshot.schema, fromArrowSchema(batch.schema), "merge");
 */
export function resolveWriteSchema(
  table: StructType,
  input: StructType,
  mode: SchemaMode | undefined,
): { schema: StructType; changed: boolean } {
  if (mode === "overwrite") return { schema: input, changed: !sameSchema(table, input) };
  const problems: string[] = [];
  const added: StructField[] = [];
  for (const field of input.fields) {
    const existing = table.fields.find((f) => f.name === field.name);
    if (existing === undefined) {
      const caseVariant = table.fields.find((f) => f.name.toLowerCase() === field.name.toLowerCase());
      if (caseVariant !== undefined) {
        problems.push(`column ${field.name} differs only in case from the table's column ${caseVariant.name}`);
      } else if (mode === "merge") added.push({ ...field, nullable: true });
      else problems.push(`column ${field.name} (${typeToString(field.type)}) is not in the table`);
      continue;
    }
    if (typeToString(existing.type) !== typeToString(field.type)) {
      problems.push(
        `column ${field.name} has type ${typeToString(field.type)} but the table has ${typeToString(existing.type)}`,
      );
    }
  }
  for (const field of table.fields) {
    if (!field.nullable && !input.fields.some((f) => f.name === field.name)) {
      problems.push(`column ${field.name} (${typeToString(field.type)}, NOT NULL) is missing from the input`);
    }
  }
  if (problems.length > 0) {
    const hint =
      mode === "merge"
        ? "cast the input to the table's types"
        : "cast the input to the table's types, or use schemaMode merge (add columns) or overwrite (replace the schema)";
    throw new InvalidArgumentError(`The input does not match the table schema: ${problems.join("; ")}. Fix: ${hint}.`, {
      details: { mismatches: problems },
    });
  }
  if (added.length === 0) return { schema: table, changed: false };
  return { schema: { type: "struct", fields: [...table.fields, ...added] }, changed: true };
}

function sameSchema(a: StructType, b: StructType): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
