/**
 * The one place where Arrow IPC meets Flight's FlightData (Flight.proto, "FlightData"; Arrow columnar format,
 * "Encapsulated message format"). A FlightData carries one IPC message: `data_header` is the bare Message
 * flatbuffer (no 0xFFFFFFFF prefix) and `data_body` its body. Stream order is Schema, then DictionaryBatches
 * (deltas honoured) before the RecordBatches that use them; there is no end-of-stream marker.
 *
 * FlightData is parsed and built by hand (not through the generated message class) so that bodies stay views
 * and are never copied by a protobuf runtime.
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { FusionError, InvalidArgumentError } from "@mlfusion/core";
import {
  Message,
  MessageHeader,
  type RecordBatch,
  RecordBatchReader,
  RecordBatchStreamWriter,
  type Schema,
} from "apache-arrow";
import { registerCompressionCodecs } from "./compression-codecs.js";
import { type FlightDescriptor, FlightDescriptorSchema } from "./gen/arrow/flight/protocol/Flight_pb.js";
import { grpcFramePrefix } from "./grpc-framing.js";

registerCompressionCodecs();

/** One FlightData message with its byte fields as views into the received buffer. */
export interface FlightDataFrame {
  descriptor?: FlightDescriptor;
  dataHeader: Uint8Array;
  appMetadata: Uint8Array;
  dataBody: Uint8Array;
}

/** One encoded IPC message ready to send: header flatbuffer plus body parts (buffers and their padding). */
interface EncodedIpcMessage {
  header: Uint8Array;
  bodyParts: Uint8Array[];
  bodyLength: number;
}

const CONTINUATION = 0xffffffff;
const EMPTY = new Uint8Array(0);
const ZEROS = new Uint8Array(8);

/**
 * Parses the protobuf bytes of one FlightData. Throws InvalidArgumentError on malformed input.
 *
 * @example
 * const frame = parseFlightData(messageBytes);
 */
export function parseFlightData(bytes: Uint8Array): FlightDataFrame {
  const frame: FlightDataFrame = { dataHeader: EMPTY, appMetadata: EMPTY, dataBody: EMPTY };
  let offset = 0;
  while (offset < bytes.length) {
    const [tag, afterTag] = readVarint(bytes, offset);
    offset = afterTag;
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (wireType === 2) {
      const [length, afterLength] = readVarint(bytes, offset);
      const end = afterLength + length;
      if (end > bytes.length) throw malformed("a length-delimited field runs past the end of the message");
      const value = bytes.subarray(afterLength, end);
      offset = end;
      if (field === 1) frame.descriptor = parseDescriptor(value);
      else if (field === 2) frame.dataHeader = value;
      else if (field === 3) frame.appMetadata = value;
      else if (field === 1000) frame.dataBody = value;
    } else if (wireType === 0) {
      offset = readVarint(bytes, offset)[1];
    } else if (wireType === 1) {
      offset += 8;
    } else if (wireType === 5) {
      offset += 4;
    } else {
      throw malformed(`unsupported wire type ${wireType}`);
    }
    if (offset > bytes.length) throw malformed("a field runs past the end of the message");
  }
  return frame;
}

/**
 * The offset of data_body's bytes inside a FlightData, from its first bytes only; undefined when they do not
 * reach the body. Lets the framing layer place the body aligned while assembling the message.
 */
export function flightDataBodyOffset(head: Uint8Array): number | undefined {
  let offset = 0;
  try {
    while (offset < head.length) {
      const [tag, afterTag] = readVarint(head, offset);
      const wireType = tag & 7;
      if (wireType !== 2) return undefined;
      const [length, afterLength] = readVarint(head, afterTag);
      if (Math.floor(tag / 8) === 1000) return afterLength;
      offset = afterLength + length;
    }
  } catch {
    // The head ends inside a varint: the body offset is not known yet.
  }
  return undefined;
}

function parseDescriptor(bytes: Uint8Array): FlightDescriptor {
  try {
    return fromBinary(FlightDescriptorSchema, bytes);
  } catch (error) {
    throw malformed("its flight_descriptor is not a valid FlightDescriptor", error);
  }
}

function malformed(what: string, cause?: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`Malformed FlightData: ${what}; send a valid Arrow Flight stream.`, { cause });
}

function readVarint(bytes: Uint8Array, start: number): [number, number] {
  let result = 0;
  let multiplier = 1;
  let offset = start;
  for (let i = 0; i < 10; i++) {
    const byte = bytes[offset];
    if (byte === undefined) throw malformed("a varint runs past the end of the message");
    offset++;
    result += (byte & 0x7f) * multiplier;
    if (byte < 0x80) return [result, offset];
    multiplier *= 128;
  }
  throw malformed("a varint is longer than 10 bytes");
}

function varintBytes(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/**
 * Builds the gRPC frame (5-byte prefix + FlightData protobuf) for one IPC message, as a list of buffers to be
 * written in order (the body parts are not copied).
 */
export function encodeFlightDataFrame(parts: {
  descriptor?: FlightDescriptor;
  header: Uint8Array;
  bodyParts?: readonly Uint8Array[];
  bodyLength?: number;
  appMetadata?: Uint8Array;
}): Uint8Array[] {
  const head: number[] = [];
  const chunks: Uint8Array[] = [];
  let size = 0;
  const pushField = (tag: number[], value: Uint8Array) => {
    const prefix = Uint8Array.from([...tag, ...varintBytes(value.byteLength)]);
    chunks.push(prefix, value);
    size += prefix.byteLength + value.byteLength;
  };
  if (parts.descriptor !== undefined) pushField([0x0a], toBinary(FlightDescriptorSchema, parts.descriptor));
  if (parts.header.byteLength > 0) pushField([0x12], parts.header);
  if (parts.appMetadata !== undefined && parts.appMetadata.byteLength > 0) pushField([0x1a], parts.appMetadata);
  const bodyLength = parts.bodyLength ?? 0;
  if (bodyLength > 0) {
    // Field 1000, wire type 2: tag varint 8002 = 0xc2 0x3e.
    head.push(0xc2, 0x3e, ...varintBytes(bodyLength));
    const prefix = Uint8Array.from(head);
    chunks.push(prefix);
    size += prefix.byteLength + bodyLength;
    for (const part of parts.bodyParts ?? []) chunks.push(part);
  }
  return [grpcFramePrefix(size), ...chunks];
}

/** A RecordBatchStreamWriter that hands each IPC message over as (header, body parts) instead of a byte stream. */
class FlightMessageCapture extends RecordBatchStreamWriter {
  captured: EncodedIpcMessage[] = [];

  protected override _writeMessage<T extends MessageHeader>(message: Message<T>): this {
    this.captured.push({ header: Message.encode(message), bodyParts: [], bodyLength: 0 });
    return this;
  }

  protected override _writeBodyBuffers(buffers: ArrayBufferView[]): this {
    const current = this.captured[this.captured.length - 1];
    if (current === undefined) return this;
    // Same grouping as the stock writer: with compression each buffer is (length prefix, data).
    const groupSize = this._compression === null ? 1 : 2;
    for (let i = 0; i < buffers.length; i += groupSize) {
      let size = 0;
      for (let j = 0; j < groupSize; j++) {
        const buffer = buffers[i + j];
        if (buffer === undefined || buffer.byteLength === 0) continue;
        current.bodyParts.push(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
        size += buffer.byteLength;
      }
      const padding = ((size + 7) & ~7) - size;
      if (padding > 0) current.bodyParts.push(ZEROS.subarray(0, padding));
      current.bodyLength += size + padding;
    }
    return this;
  }

  take(): EncodedIpcMessage[] {
    const out = this.captured;
    this.captured = [];
    return out;
  }
}

/**
 * Encodes a schema and its batches as gRPC frames of FlightData: the schema message first (carrying
 * `descriptor` when given, as DoPut's first message must), dictionaries before the batches that use them.
 *
 * @example
 * for await (const frame of encodeRecordBatches(table.schema, table.batches)) for (const b of frame) stream.write(b);
 */
export async function* encodeRecordBatches(
  schema: Schema,
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
  options: { descriptor?: FlightDescriptor } = {},
): AsyncGenerator<Uint8Array[]> {
  const writer = new FlightMessageCapture();
  writer.reset(undefined, schema);
  let first = true;
  const emit = function* (messages: EncodedIpcMessage[]): Generator<Uint8Array[]> {
    for (const message of messages) {
      const descriptor = first ? options.descriptor : undefined;
      first = false;
      yield encodeFlightDataFrame({
        ...(descriptor === undefined ? {} : { descriptor }),
        header: message.header,
        bodyParts: message.bodyParts,
        bodyLength: message.bodyLength,
      });
    }
  };
  yield* emit(writer.take());
  for await (const batch of batches) {
    if (batch.numRows === 0 && batch.schema.fields.length === 0) continue;
    writer.write(batch);
    yield* emit(writer.take());
  }
}

/**
 * Decodes FlightData frames into a schema and its record batches. Bodies are copied once into 8-byte aligned
 * memory when they arrive unaligned (apache-arrow builds typed-array views straight over them); compressed
 * bodies (ZSTD, LZ4_FRAME) are decompressed. Frames without a data_header (app_metadata only) are skipped.
 *
 * @example
 * const { schema, batches } = await decodeRecordBatches(frames);
 * for await (const batch of batches) console.log(batch.numRows);
 */
export async function decodeRecordBatches(
  frames: AsyncIterable<FlightDataFrame>,
): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch> }> {
  const reader = await openReader(ipcChunks(frames));
  return { schema: reader.schema, batches: readBatches(reader) };
}

type StreamReader = Awaited<ReturnType<typeof openReaderUnchecked>>;

async function openReaderUnchecked(chunks: AsyncIterable<Uint8Array>) {
  const reader = await RecordBatchReader.from(chunks);
  return reader.open();
}

async function openReader(chunks: AsyncIterable<Uint8Array>): Promise<StreamReader> {
  let reader: StreamReader;
  try {
    reader = await openReaderUnchecked(chunks);
  } catch (error) {
    throw asInvalid(error);
  }
  if (reader.schema === null || reader.schema === undefined) {
    throw new InvalidArgumentError("The Flight stream carried no Arrow schema; send the schema message first.");
  }
  return reader;
}

async function* readBatches(reader: StreamReader): AsyncGenerator<RecordBatch> {
  const iterator = reader[Symbol.asyncIterator]();
  try {
    while (true) {
      let next: IteratorResult<RecordBatch>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw asInvalid(error);
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

function asInvalid(error: unknown): Error {
  // Errors of the transport underneath (a status from the server, a cancellation) pass through unchanged.
  if (error instanceof FusionError) return error;
  if (error instanceof Error && error.name === "AbortError") return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new InvalidArgumentError(`Malformed Arrow IPC in the Flight stream (${detail}); send valid Arrow IPC.`, {
    cause: error,
  });
}

async function* ipcChunks(frames: AsyncIterable<FlightDataFrame>): AsyncGenerator<Uint8Array> {
  for await (const frame of frames) {
    if (frame.dataHeader.byteLength === 0) continue;
    let message: Message;
    try {
      message = Message.decode(frame.dataHeader);
    } catch (error) {
      throw malformed("its data_header is not an Arrow IPC Message flatbuffer", error);
    }
    const bodyLength = message.bodyLength;
    if (frame.dataBody.byteLength < bodyLength) {
      throw malformed(`data_body has ${frame.dataBody.byteLength} bytes but the header declares ${bodyLength}`);
    }
    yield encapsulate(frame.dataHeader);
    if (bodyLength > 0) yield aligned(frame.dataBody.subarray(0, bodyLength));
  }
}

/** 0xFFFFFFFF, int32 length, flatbuffer, zero padding to a multiple of 8 (the encapsulated message prefix). */
function encapsulate(header: Uint8Array): Uint8Array {
  const padded = (header.byteLength + 7) & ~7;
  const out = new Uint8Array(8 + padded);
  const view = new DataView(out.buffer);
  view.setUint32(0, CONTINUATION, true);
  view.setInt32(4, padded, true);
  out.set(header, 8);
  return out;
}

function aligned(body: Uint8Array): Uint8Array {
  if (body.byteOffset % 8 === 0) return body;
  const copy = new Uint8Array(Buffer.allocUnsafeSlow(body.byteLength).buffer, 0, body.byteLength);
  copy.set(body);
  return copy;
}

/**
 * The encapsulated IPC form of a schema, as FlightInfo.schema and SchemaResult.schema carry it.
 *
 * @example
 * const info = create(FlightInfoSchema, { schema: encodeSchema(table.schema) });
 */
export function encodeSchema(schema: Schema): Uint8Array {
  return encapsulate(Message.encode(Message.from(schema)));
}

/**
 * Reads a schema from its encapsulated IPC form; also accepts the legacy form without the continuation marker
 * and a bare flatbuffer. Throws InvalidArgumentError on anything else.
 */
export function decodeSchema(bytes: Uint8Array): Schema {
  try {
    let flatbuffer = bytes;
    if (bytes.byteLength >= 8) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const first = view.getUint32(0, true);
      if (first === CONTINUATION) flatbuffer = bytes.subarray(8, 8 + view.getInt32(4, true));
      else if (first + 4 <= bytes.byteLength && first > 0) flatbuffer = bytes.subarray(4, 4 + first);
    }
    const message = Message.decode(flatbuffer);
    if (!message.isSchema()) throw new Error(`header type ${MessageHeader[message.headerType]}`);
    return message.header();
  } catch (error) {
    throw new InvalidArgumentError("The schema bytes are not an Arrow IPC schema message.", { cause: error });
  }
}
