import { DataType, makeData, RecordBatch, Struct, vectorFromArray } from "apache-arrow";

/**
 * Dictionary deltas (IPC `isDelta`) leave a column's dictionary as several chunks; @mlfusion/delta's writer reads
 * only the first chunk of a dictionary, so such dictionaries are joined into one chunk before the write.
 */
export async function* singleChunkDictionaries(batches: AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
  for await (const batch of batches) {
    const columns = batch.data.children;
    if (!columns.some((column) => (column.dictionary?.data.length ?? 0) > 1)) {
      yield batch;
      continue;
    }
    const children = columns.map((column) => {
      const dictionary = column.dictionary;
      const type = column.type;
      if (dictionary === undefined || dictionary.data.length <= 1 || !DataType.isDictionary(type)) return column;
      return makeData({
        type,
        offset: column.offset,
        length: column.length,
        nullCount: column.nullCount,
        nullBitmap: column.nullBitmap,
        data: column.values,
        dictionary: vectorFromArray(dictionary.toArray(), type.dictionary),
      });
    });
    yield new RecordBatch(
      batch.schema,
      makeData({ type: new Struct(batch.schema.fields), length: batch.numRows, nullCount: 0, children }),
    );
  }
}
