import { Table, Vector, vectorFromArray } from "apache-arrow";

type TypedArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/** A column for {@link tableOf}: a ready Vector, a typed array, or plain values (types inferred). */
export type TableColumn = Vector | TypedArray | BigInt64Array | BigUint64Array | readonly unknown[];

/**
 * Builds an Arrow Table from named columns, mixing typed Vectors and plain arrays (apache-arrow's
 * `tableFromArrays` accepts Vectors at run time but not in its types).
 *
 * @example
 * const table = tableOf({ id: Int32Array.from([1, 2]), name: vectorFromArray(["a", null], new Utf8()) });
 */
export function tableOf(columns: Record<string, TableColumn>): Table {
  const vectors: Record<string, Vector> = {};
  for (const [name, column] of Object.entries(columns)) {
    vectors[name] = column instanceof Vector ? column : vectorFromArray(column);
  }
  return new Table(vectors);
}
