import {
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  type Schema,
  Struct,
  Table,
  vectorFromArray,
} from "apache-arrow";

/** What a Flight SQL command returns: the schema for FlightInfo, and the batches for DoGet. */
export interface FlightSqlResult extends AsyncIterable<RecordBatch> {
  readonly schema: Schema;
}

/** A result held in memory (metadata commands: small by nature). */
export function inMemoryResult(schema: Schema, batches: readonly RecordBatch[]): FlightSqlResult {
  return {
    schema,
    async *[Symbol.asyncIterator]() {
      yield* batches;
    },
  };
}

/** A one-batch result from columns of plain values, typed by `schema`. */
export function resultFromColumns(schema: Schema, columns: readonly (readonly unknown[])[]): FlightSqlResult {
  const children = schema.fields.map((field, i) => {
    const [data] = vectorFromArray([...(columns[i] ?? [])], field.type).data;
    if (data === undefined) throw new TypeError(`No data built for ${field.name}.`);
    return data;
  });
  const length = columns[0]?.length ?? 0;
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
  return inMemoryResult(schema, [batch]);
}

/**
 * A schema as Flight SQL carries it in `dataset_schema`, `parameter_schema` and GetTables' `table_schema`: the
 * IPC-encapsulated Schema message (Schema.fbs), without the end-of-stream marker.
 */
export function serializeSchema(schema: Schema): Uint8Array {
  const bytes = RecordBatchStreamWriter.writeAll(new Table(schema)).toUint8Array(true);
  // writeAll emits Schema + EOS (0xFFFFFFFF 0x00000000); Flight SQL wants the Schema message only.
  return bytes.subarray(0, bytes.byteLength - 8);
}
