/**
 * gRPC over raw node:http2 (grpc/grpc PROTOCOL-HTTP2.md), the transport chosen in docs/adr/0002: one copy on
 * receive, zero copies on send, HTTP/2 flow control as backpressure in both directions, deadlines from
 * `grpc-timeout`, Trailers-Only error responses and graceful shutdown that lets in-flight calls finish.
 */
import { once } from "node:events";
import {
  constants,
  createServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import type { AddressInfo } from "node:net";
import { FusionError, type Logger } from "@mlfusion/core";
import { flightDataBodyOffset, GrpcFramingError, GrpcMessageDecoder, readGrpcMessages } from "@mlfusion/proto";
import { type CallStatus, encodeGrpcMessage, GrpcStatus, toCallStatus } from "./grpc-status.js";

/** One gRPC call as a handler sees it. */
export interface GrpcCall {
  /** The method path, e.g. `/arrow.flight.protocol.FlightService/DoGet`. */
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** Aborted when the client cancels, the deadline passes or the server is forced down; the reason is a FusionError. */
  readonly signal: AbortSignal;
  /** The request messages in order. Reading is what pulls data from the network (backpressure). */
  messages(): AsyncGenerator<Buffer>;
  /**
   * Sends one response message (frame chunks, prefix included); resolves once the stream accepts more.
   * `onWritten` runs once the socket has taken every chunk (never if the call ends first): the chunks' memory may
   * then be reused.
   */
  send(frame: readonly Uint8Array[], onWritten?: () => void): Promise<void>;
  /** Adds a response header (initial metadata); only before the first send. */
  setResponseHeader(name: string, value: string): void;
  /** Sends the response headers now, even if no message follows (clients may read them before any message). */
  sendHeaders(): void;
}

export type GrpcHandler = (call: GrpcCall) => Promise<void>;

/** Options of {@link startGrpcServer}. */
export interface GrpcServerOptions {
  host: string;
  port: number;
  handlers: ReadonlyMap<string, GrpcHandler>;
  maxReceiveMessageBytes: number;
  logger: Logger;
}

/** A listening gRPC server. */
export interface GrpcServer {
  readonly host: string;
  readonly port: number;
  /** True once close() was called: health reports NOT_SERVING, new calls get UNAVAILABLE. */
  readonly draining: boolean;
  /** Stops accepting calls, lets in-flight calls finish (cancelling them after `graceMs`), then closes. */
  close(options?: { graceMs?: number }): Promise<void>;
}

const WINDOW_BYTES = 16 * 1024 * 1024;
const FRAME_BYTES = 1024 * 1024;

/**
 * Starts an HTTP/2 gRPC server; port 0 picks a free port.
 *
 * @example
 * const server = await startGrpcServer({ host: "127.0.0.1", port: 0, handlers, maxReceiveMessageBytes: 1 << 26, logger });
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const log = options.logger;
  const sessions = new Set<Http2Session>();
  const calls = new Set<ActiveCall>();
  let draining = false;

  const server: Http2Server = createServer({
    // grpc-js-style default windows (64 KiB) make uploads crawl; see ../shared/notes/flight.md pitfall 1.
    settings: { initialWindowSize: WINDOW_BYTES, maxFrameSize: FRAME_BYTES },
    maxSessionMemory: 512,
  });
  server.on("session", (session) => {
    sessions.add(session);
    session.on("error", (error) => log.debug({ err: error }, "http2 session error"));
    session.once("close", () => sessions.delete(session));
    try {
      session.setLocalWindowSize(4 * WINDOW_BYTES);
    } catch (error) {
      log.debug({ err: error }, "could not widen the session window");
    }
  });
  server.on("stream", (stream, headers) => {
    const call = new ActiveCall(stream, headers, options.maxReceiveMessageBytes, log);
    if (draining) {
      call.finish({ code: GrpcStatus.UNAVAILABLE, message: "The server is shutting down; retry on another instance." });
      return;
    }
    calls.add(call);
    void call.run(options.handlers).finally(() => calls.delete(call));
  });
  server.on("error", (error) => log.error({ err: error }, "http2 server error"));

  server.listen(options.port, options.host);
  await once(server, "listening");
  const address = server.address() as AddressInfo;

  return {
    host: options.host,
    port: address.port,
    get draining() {
      return draining;
    },
    async close({ graceMs = 10_000 } = {}) {
      if (draining) return;
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const pending = [...calls].map((call) => call.done);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([Promise.all(pending), timedOut]);
      clearTimeout(timer);
      for (const call of calls) {
        call.abort(new FusionError("UNAVAILABLE", "The server shut down before the call finished; retry it."));
      }
      await Promise.all([...calls].map((call) => call.done));
      for (const session of sessions) session.close();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000))]);
      for (const session of sessions) session.destroy();
    },
  };
}

class ActiveCall implements GrpcCall {
  readonly method: string;
  private readonly controller = new AbortController();
  private headersSent = false;
  private readonly responseHeaders: Record<string, string> = {};
  private readonly startedAt = performance.now();
  private finished = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private resolveDone: () => void = () => {};
  readonly done: Promise<void> = new Promise((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(
    private readonly stream: ServerHttp2Stream,
    readonly headers: IncomingHttpHeaders,
    private readonly maxReceiveMessageBytes: number,
    private readonly log: Logger,
  ) {
    this.method = String(headers[":path"] ?? "");
    stream.on("error", (error) => log.debug({ err: error, method: this.method }, "http2 stream error"));
    stream.once("close", () => {
      if (!this.finished) {
        this.abort(new FusionError("CANCELLED", "The client cancelled the call."));
        this.finished = true;
      }
      clearTimeout(this.deadlineTimer);
      this.resolveDone();
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason: FusionError): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  async run(handlers: ReadonlyMap<string, GrpcHandler>): Promise<void> {
    this.log.debug({ method: this.method }, "call started");
    const contentType = String(this.headers["content-type"] ?? "");
    if (this.headers[":method"] !== "POST" || !contentType.startsWith("application/grpc")) {
      this.finish({ code: GrpcStatus.UNIMPLEMENTED, message: "Only gRPC requests are served here." });
      return this.done;
    }
    const handler = handlers.get(this.method);
    if (handler === undefined) {
      this.finish({ code: GrpcStatus.UNIMPLEMENTED, message: `Method ${this.method} is not implemented.` });
      return this.done;
    }
    const timeoutMs = parseGrpcTimeout(this.headers["grpc-timeout"]);
    if (timeoutMs !== undefined) {
      this.deadlineTimer = setTimeout(() => {
        const reason = new FusionError("DEADLINE_EXCEEDED", "The call's deadline passed before it finished.");
        this.abort(reason);
        this.finish(toCallStatus(reason));
      }, timeoutMs);
    }
    const aborted = new Promise<never>((_, reject) => {
      this.signal.addEventListener("abort", () => reject(this.signal.reason), { once: true });
    });
    aborted.catch(() => {});
    try {
      await Promise.race([handler(this), aborted]);
      this.finish({ code: GrpcStatus.OK, message: "" });
    } catch (error) {
      const status = error instanceof GrpcFramingError ? framingStatus(error) : toCallStatus(error);
      if (status.code === GrpcStatus.INTERNAL) this.log.error({ err: error, method: this.method }, "call failed");
      else this.log.debug({ err: error, method: this.method, code: status.code }, "call ended with an error");
      this.finish(status);
    }
    return this.done;
  }

  async *messages(): AsyncGenerator<Buffer> {
    const decoder = new GrpcMessageDecoder(this.maxReceiveMessageBytes, flightDataBodyOffset);
    for await (const message of readGrpcMessages(this.stream, decoder)) {
      this.signal.throwIfAborted();
      yield message;
    }
    // A stream that closed without its end (the client went away) is a cancellation, not a complete request.
    this.signal.throwIfAborted();
  }

  async send(frame: readonly Uint8Array[], onWritten?: () => void): Promise<void> {
    this.signal.throwIfAborted();
    if (this.finished || this.stream.destroyed) {
      throw new FusionError("CANCELLED", "The call already ended.");
    }
    this.sendHeaders();
    let writable = true;
    this.stream.cork();
    const last = frame.length - 1;
    for (let i = 0; i < last; i++) writable = this.stream.write(frame[i]);
    // HTTP/2 stream writes complete in order, after nghttp2 has written their bytes to the socket.
    if (last >= 0) {
      writable = this.stream.write(
        frame[last],
        onWritten === undefined ? undefined : (error?: Error | null) => (error ? undefined : onWritten()),
      );
    }
    this.stream.uncork();
    if (!writable) await this.drained();
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(this.signal.reason);
      };
      const onClose = () => {
        cleanup();
        reject(new FusionError("CANCELLED", "The client cancelled the call."));
      };
      const cleanup = () => {
        this.stream.off("drain", onDrain);
        this.stream.off("close", onClose);
        this.signal.removeEventListener("abort", onAbort);
      };
      this.stream.on("drain", onDrain);
      this.stream.on("close", onClose);
      this.signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  setResponseHeader(name: string, value: string): void {
    this.responseHeaders[name.toLowerCase()] = value;
  }

  sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.respond(
      { ...this.responseHeaders, ":status": 200, "content-type": "application/grpc" },
      { waitForTrailers: true },
    );
  }

  /** Ends the call with `status`: in trailers after a response, or as Trailers-Only when nothing was sent. */
  finish(status: CallStatus): void {
    if (this.finished) return;
    this.finished = true;
    const ms = Math.round(performance.now() - this.startedAt);
    this.log.debug({ method: this.method, code: status.code, ms }, "call finished");
    clearTimeout(this.deadlineTimer);
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    const trailers = {
      "grpc-status": String(status.code),
      ...(status.message === "" ? {} : { "grpc-message": encodeGrpcMessage(status.message) }),
    };
    try {
      if (!this.headersSent) {
        this.headersSent = true;
        stream.respond({ ":status": 200, "content-type": "application/grpc", ...trailers }, { endStream: true });
      } else {
        stream.once("wantTrailers", () => stream.sendTrailers(trailers));
        stream.end();
      }
    } catch (error) {
      this.log.debug({ err: error }, "could not send the status");
      stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    }
    // Discard whatever the client still sends so that its side can finish; the status is already on its way.
    stream.resume();
  }
}

function framingStatus(error: GrpcFramingError): CallStatus {
  if (error.kind === "too-large") return { code: GrpcStatus.RESOURCE_EXHAUSTED, message: error.message };
  if (error.kind === "compressed") return { code: GrpcStatus.UNIMPLEMENTED, message: error.message };
  return { code: GrpcStatus.INVALID_ARGUMENT, message: error.message };
}

const timeoutUnits: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** `grpc-timeout` ("100m", "5S", ...) in milliseconds; undefined when absent or malformed. */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (match === null) return undefined;
  const unit = timeoutUnits[match[2] ?? ""];
  if (unit === undefined) return undefined;
  return Math.max(0, Math.ceil(Number(match[1]) * unit));
}

/** Reads the single request message of a unary or server-streaming call. */
export async function readUnaryRequest(call: GrpcCall): Promise<Buffer> {
  let request: Buffer | undefined;
  for await (const message of call.messages()) {
    if (request !== undefined) {
      throw new FusionError("INVALID_ARGUMENT", `${call.method} takes exactly one request message.`);
    }
    request = message;
  }
  if (request === undefined) {
    throw new FusionError("INVALID_ARGUMENT", `${call.method} received no request message.`);
  }
  return request;
}
