import { BufferType, Data, DataType, RecordBatch, Struct } from "apache-arrow";

// Keeps the rows of a batch selected by a mask (deletion vectors, row filters). apache-arrow has no filter
// kernel: a few contiguous runs become zero-copy slices; otherwise the selected rows are gathered into new
// buffers ("take") for the common layouts.

const MAX_SLICES = 8;

/**
 * The rows of `batch` whose mask byte is 1, as one or more batches (in order).
 *
 * @example
 * for (const part of filterBatch(batch, mask)) yield part;
 */
export function filterBatch(batch: RecordBatch, mask: Uint8Array): RecordBatch[] {
  const n = batch.numRows;
  let selected = 0;
  const runs: [number, number][] = [];
  let runStart = -1;
  for (let i = 0; i < n; i++) {
    if (mask[i] === 1) {
      selected++;
      if (runStart < 0) runStart = i;
    } else if (runStart >= 0) {
      runs.push([runStart, i]);
      runStart = -1;
    }
  }
  if (runStart >= 0) runs.push([runStart, n]);
  if (selected === n) return [batch];
  if (selected === 0) return [];
  if (runs.length > MAX_SLICES) {
    const indices = new Int32Array(selected);
    let k = 0;
    for (let i = 0; i < n; i++) if (mask[i] === 1) indices[k++] = i;
    const taken = takeBatch(batch, indices);
    if (taken !== undefined) return [taken];
  }
  return runs.map(([start, end]) => batch.slice(start, end));
}

function takeBatch(batch: RecordBatch, indices: Int32Array): RecordBatch | undefined {
  const children: Data[] = [];
  for (let c = 0; c < batch.numCols; c++) {
    const data = batch.getChildAt(c)?.data[0];
    if (data === undefined) return undefined;
    const taken = takeData(data, indices);
    if (taken === undefined) return undefined;
    children.push(taken);
  }
  const struct = new Data(new Struct(batch.schema.fields), 0, indices.length, 0, {}, children);
  return new RecordBatch(batch.schema, struct);
}

/** The rows `indices` of `data`, or undefined for a layout this module does not gather. */
export function takeData(data: Data, indices: Int32Array): Data | undefined {
  if (data.offset !== 0) return undefined;
  const n = indices.length;
  const { validity, nullCount } = takeValidity(data, indices);
  const type = data.type;
  const withValidity = (parts: DataBuffers): DataBuffers => {
    if (validity !== undefined) parts[BufferType.VALIDITY] = validity;
    return parts;
  };
  if (DataType.isStruct(type)) {
    const children: Data[] = [];
    for (const child of data.children) {
      const taken = takeData(child, indices);
      if (taken === undefined) return undefined;
      children.push(taken);
    }
    return new Data(type, 0, n, nullCount, withValidity({}), children);
  }
  if (DataType.isList(type) || DataType.isMap(type)) {
    const offsets = data.valueOffsets;
    const child = data.children[0];
    if (!(offsets instanceof Int32Array) || child === undefined) return undefined;
    const newOffsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const r = indices[i] ?? 0;
      total += (offsets[r + 1] ?? 0) - (offsets[r] ?? 0);
      newOffsets[i + 1] = total;
    }
    const childIndices = new Int32Array(total);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const r = indices[i] ?? 0;
      for (let j = offsets[r] ?? 0; j < (offsets[r + 1] ?? 0); j++) childIndices[k++] = j;
    }
    const takenChild = takeData(child, childIndices);
    if (takenChild === undefined) return undefined;
    return new Data(type, 0, n, nullCount, withValidity({ [BufferType.OFFSET]: newOffsets }), [takenChild]);
  }
  if (DataType.isUtf8(type) || DataType.isBinary(type)) {
    const offsets = data.valueOffsets;
    const values = data.values;
    if (!(offsets instanceof Int32Array) || !(values instanceof Uint8Array)) return undefined;
    const newOffsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const r = indices[i] ?? 0;
      total += (offsets[r + 1] ?? 0) - (offsets[r] ?? 0);
      newOffsets[i + 1] = total;
    }
    const newValues = new Uint8Array(total);
    for (let i = 0; i < n; i++) {
      const r = indices[i] ?? 0;
      newValues.set(values.subarray(offsets[r] ?? 0, offsets[r + 1] ?? 0), newOffsets[i] ?? 0);
    }
    return new Data(
      type,
      0,
      n,
      nullCount,
      withValidity({ [BufferType.OFFSET]: newOffsets, [BufferType.DATA]: newValues }),
    );
  }
  if (DataType.isBool(type)) {
    const values = data.values;
    if (!(values instanceof Uint8Array)) return undefined;
    const out = new Uint8Array(Math.ceil(n / 8));
    for (let i = 0; i < n; i++) {
      const r = indices[i] ?? 0;
      if (((values[r >> 3] ?? 0) >> (r & 7)) & 1) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
    }
    return new Data(type, 0, n, nullCount, withValidity({ [BufferType.DATA]: out }));
  }
  const fixed =
    DataType.isInt(type) ||
    DataType.isFloat(type) ||
    DataType.isDate(type) ||
    DataType.isTimestamp(type) ||
    DataType.isDecimal(type) ||
    DataType.isFixedSizeBinary(type) ||
    DataType.isTime(type) ||
    DataType.isDuration(type) ||
    DataType.isDictionary(type);
  const values = data.values;
  if (!fixed || !ArrayBuffer.isView(values) || values instanceof DataView) return undefined;
  const stride = Math.max(1, data.stride);
  const out = gather(values, indices, stride);
  if (out === undefined) return undefined;
  return new Data(type, 0, n, nullCount, withValidity({ [BufferType.DATA]: out }), [], data.dictionary);
}

type DataBuffers = Exclude<ConstructorParameters<typeof Data>[4], Data | undefined>;

function gather(
  values: Exclude<ArrayBufferView, DataView>,
  indices: Int32Array,
  stride: number,
): Exclude<ArrayBufferView, DataView> | undefined {
  const length = indices.length * stride;
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    const out = values.slice(0, length);
    for (let i = 0; i < indices.length; i++) {
      const r = (indices[i] ?? 0) * stride;
      for (let j = 0; j < stride; j++) out[i * stride + j] = values[r + j] ?? 0n;
    }
    return out;
  }
  if (
    values instanceof Int8Array ||
    values instanceof Uint8Array ||
    values instanceof Int16Array ||
    values instanceof Uint16Array ||
    values instanceof Int32Array ||
    values instanceof Uint32Array ||
    values instanceof Float32Array ||
    values instanceof Float64Array
  ) {
    // slice() makes an array of the same type and length; every element is then overwritten.
    const out = values.slice(0, length);
    for (let i = 0; i < indices.length; i++) {
      const r = (indices[i] ?? 0) * stride;
      for (let j = 0; j < stride; j++) out[i * stride + j] = values[r + j] ?? 0;
    }
    return out;
  }
  return undefined;
}

function takeValidity(data: Data, indices: Int32Array): { validity: Uint8Array | undefined; nullCount: number } {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap == null || bitmap.length === 0) return { validity: undefined, nullCount: 0 };
  const out = new Uint8Array(Math.ceil(indices.length / 8));
  let nulls = 0;
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i] ?? 0;
    if (((bitmap[r >> 3] ?? 0) >> (r & 7)) & 1) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
    else nulls++;
  }
  return { validity: out, nullCount: nulls };
}
