/**
 * gRPC length-prefixed message framing (PROTOCOL-HTTP2.md of grpc/grpc): each message is a 1-byte compressed
 * flag, a 4-byte big-endian length and the message bytes. Shared by the server and the client transports.
 */

/** Thrown by the decoder; `kind` tells the transport which status to answer with. */
export class GrpcFramingError extends Error {
  constructor(
    readonly kind: "too-large" | "compressed" | "truncated",
    message: string,
  ) {
    super(message);
    this.name = "GrpcFramingError";
  }
}

/** The 5-byte prefix of a message of `length` bytes. */
export function grpcFramePrefix(length: number): Buffer {
  const prefix = Buffer.allocUnsafe(5);
  prefix[0] = 0;
  prefix.writeUInt32BE(length, 1);
  return prefix;
}

/** One whole frame (prefix + message) in a single buffer; for small messages. */
export function encodeGrpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.byteLength);
  out[0] = 0;
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, 5);
  return out;
}

/**
 * Incremental decoder: push HTTP/2 DATA chunks, get back whole messages. A message inside one chunk is returned
 * as a view (no copy); a message spanning chunks is assembled once into fresh memory.
 *
 * @example
 * const decoder = new GrpcMessageDecoder(64 * 1024 * 1024);
 * for (const message of decoder.push(chunk)) handle(message);
 */
export class GrpcMessageDecoder {
  private header = Buffer.alloc(5);
  private headerFill = 0;
  private message: Buffer | undefined;
  private messageFill = 0;

  /**
   * @param alignOffset given the first bytes of a message that spans chunks, the offset inside the message that
   *   should land 8-byte aligned in memory (the Arrow body of a FlightData), or undefined.
   */
  constructor(
    private readonly maxMessageBytes: number,
    private readonly alignOffset?: (head: Buffer) => number | undefined,
  ) {}

  /** True when no partial message is pending (a clean end of stream). */
  get idle(): boolean {
    return this.headerFill === 0 && this.message === undefined;
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.message === undefined) {
        if (this.headerFill === 0 && chunk.length - offset >= 5) {
          const length = this.checkHeader(chunk, offset);
          offset += 5;
          if (chunk.length - offset >= length) {
            out.push(chunk.subarray(offset, offset + length));
            offset += length;
            continue;
          }
          this.startMessage(length, chunk.subarray(offset));
          continue;
        }
        const take = Math.min(5 - this.headerFill, chunk.length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill === 5) {
          const length = this.checkHeader(this.header, 0);
          this.headerFill = 0;
          this.startMessage(length);
          if (length === 0) out.push(this.finishMessage());
        }
        continue;
      }
      const take = Math.min(this.message.length - this.messageFill, chunk.length - offset);
      chunk.copy(this.message, this.messageFill, offset, offset + take);
      this.messageFill += take;
      offset += take;
      if (this.messageFill === this.message.length) out.push(this.finishMessage());
    }
    return out;
  }

  /** Throws when the stream ended in the middle of a message. */
  end(): void {
    if (!this.idle) throw new GrpcFramingError("truncated", "The stream ended in the middle of a gRPC message.");
  }

  private checkHeader(buffer: Buffer, offset: number): number {
    if (buffer[offset] !== 0) {
      throw new GrpcFramingError("compressed", "Compressed gRPC messages are not supported; send them uncompressed.");
    }
    const length = buffer.readUInt32BE(offset + 1);
    if (length > this.maxMessageBytes) {
      throw new GrpcFramingError(
        "too-large",
        `Received a message of ${length} bytes, over the limit of ${this.maxMessageBytes}; send smaller batches.`,
      );
    }
    return length;
  }

  private startMessage(length: number, head?: Buffer): void {
    // allocUnsafeSlow: never the shared pool, so that the alignment of what is inside is under our control. The
    // message is placed so that its Arrow body lands 8-byte aligned: the one copy on receive is then the last.
    const target = head === undefined ? undefined : this.alignOffset?.(head);
    const shift = target === undefined ? 0 : (8 - (target % 8)) % 8;
    this.message = Buffer.allocUnsafeSlow(length + shift).subarray(shift);
    this.messageFill = 0;
  }

  private finishMessage(): Buffer {
    const message = this.message ?? Buffer.alloc(0);
    this.message = undefined;
    this.messageFill = 0;
    return message;
  }
}

/** The parts of a Node readable stream {@link readGrpcMessages} uses (an Http2Stream). */
export interface PausableStream {
  on(event: "data", listener: (chunk: Buffer) => void): unknown;
  once(event: "end" | "close", listener: () => void): unknown;
  off(event: "data", listener: (chunk: Buffer) => void): unknown;
  off(event: "end" | "close", listener: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
  isPaused(): boolean;
}

const QUEUE_HIGH = 32 * 1024 * 1024;
const QUEUE_LOW = 8 * 1024 * 1024;

/**
 * The gRPC messages of an HTTP/2 stream, in order. The stream runs in flowing mode with a bound of its own
 * instead of the Readable's 16 KiB highWaterMark: the socket is read as fast as it delivers until 32 MiB of
 * whole messages wait, then paused (and HTTP/2 flow control stops the sender) until the consumer catches up.
 * Ends when the stream ends or closes; throws GrpcFramingError on bad framing.
 */
export async function* readGrpcMessages(stream: PausableStream, decoder: GrpcMessageDecoder): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const onData = (chunk: Buffer) => {
    let produced = false;
    try {
      for (const message of decoder.push(chunk)) {
        queue.push(message);
        queued += message.length;
        produced = true;
      }
    } catch (error) {
      failure = error;
    }
    if (queued > QUEUE_HIGH || failure !== undefined) stream.pause();
    // Most chunks only extend a message in progress: wake the consumer only when there is something for it.
    if (produced || failure !== undefined) wake?.();
  };
  const onEnd = () => {
    ended = true;
    wake?.();
  };
  stream.on("data", onData);
  stream.once("end", onEnd);
  stream.once("close", onEnd);
  try {
    while (true) {
      const message = queue.shift();
      if (message !== undefined) {
        queued -= message.length;
        if (queued < QUEUE_LOW && failure === undefined && stream.isPaused()) stream.resume();
        yield message;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (ended) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    decoder.end();
  } finally {
    stream.off("data", onData);
    stream.off("end", onEnd);
    stream.off("close", onEnd);
  }
}
