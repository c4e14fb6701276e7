/**
 * A minimal gRPC client on node:http2 (grpc/grpc PROTOCOL-HTTP2.md): one HTTP/2 session per client, one stream
 * per call, request frames written with backpressure, status read from trailers (or Trailers-Only headers).
 */
import { once } from "node:events";
import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants } from "node:http2";
import { FusionError } from "@mlfusion/core";
import { flightDataBodyOffset, GrpcFramingError, GrpcMessageDecoder, readGrpcMessages } from "@mlfusion/proto";
import { decodeGrpcMessage, fromGrpcStatus, ServiceUnavailableError } from "./errors.js";

/** Connection settings of a transport. */
export interface GrpcTransportOptions {
  host: string;
  port: number;
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** Per-call deadline (grpc-timeout); none by default. */
  timeoutMs?: number;
  /** Largest response message accepted (default 256 MiB). */
  maxReceiveMessageBytes?: number;
}

const WINDOW_BYTES = 16 * 1024 * 1024;

/** One gRPC channel to a server. */
export class GrpcTransport {
  private session: ClientHttp2Session | undefined;
  /** Calls in flight: the session keeps the process alive only while there are some. */
  private active = 0;

  constructor(private readonly options: GrpcTransportOptions) {}

  private connect(): ClientHttp2Session {
    if (this.session !== undefined && !this.session.closed && !this.session.destroyed) return this.session;
    const host = this.options.host.includes(":") ? `[${this.options.host}]` : this.options.host;
    const session = connect(`http://${host}:${this.options.port}`, {
      settings: { initialWindowSize: WINDOW_BYTES, maxFrameSize: 1024 * 1024 },
      maxSessionMemory: 512,
    });
    session.on("error", () => {
      // Reported through the streams of the calls in flight; the next call reconnects.
    });
    session.on("connect", () => {
      try {
        session.setLocalWindowSize(4 * WINDOW_BYTES);
      } catch {
        // An older peer may refuse a larger window; the default still works.
      }
    });
    session.once("close", () => {
      if (this.session === session) this.session = undefined;
    });
    this.session = session;
    return session;
  }

  /**
   * Runs a call: sends the request frames (each a list of chunks forming one length-prefixed message) and
   * yields the response messages. Throws the FusionError of a non-OK status.
   */
  async *call(
    method: string,
    requests: AsyncIterable<readonly Uint8Array[]> | Iterable<readonly Uint8Array[]>,
    signal?: AbortSignal,
  ): AsyncGenerator<Buffer> {
    signal?.throwIfAborted();
    const headers: Record<string, string> = {
      ":method": "POST",
      ":path": method,
      "content-type": "application/grpc",
      te: "trailers",
    };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    if (this.options.timeoutMs !== undefined) headers["grpc-timeout"] = `${Math.ceil(this.options.timeoutMs)}m`;
    const session = this.connect();
    this.active++;
    session.ref();
    const stream = session.request(headers, { endStream: false });
    let status: { code: number; message: string } | undefined;
    const readStatus = (h: Record<string, unknown>) => {
      const code = h["grpc-status"];
      if (code !== undefined) status = { code: Number(code), message: decodeGrpcMessage(h["grpc-message"] as string) };
    };
    let httpStatus = 200;
    stream.on("response", (h) => {
      httpStatus = Number(h[":status"] ?? 200);
      readStatus(h);
    });
    stream.on("trailers", (h) => readStatus(h));
    let streamError: unknown;
    stream.on("error", (error) => {
      streamError = error;
    });
    const onAbort = () => stream.close(constants.NGHTTP2_CANCEL);
    signal?.addEventListener("abort", onAbort, { once: true });

    let requestError: unknown;
    const writing = writeRequests(stream, requests).catch((error: unknown) => {
      requestError = error;
      if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    });
    const decoder = new GrpcMessageDecoder(
      this.options.maxReceiveMessageBytes ?? 256 * 1024 * 1024,
      flightDataBodyOffset,
    );
    let completed = false;
    try {
      let framingError: FusionError | undefined;
      try {
        for await (const message of readGrpcMessages(stream, decoder)) yield message;
      } catch (error) {
        if (!(error instanceof GrpcFramingError)) throw error;
        framingError = new FusionError("INVALID_ARGUMENT", error.message);
      }
      await writing;
      signal?.throwIfAborted();
      if (requestError !== undefined && (status === undefined || status.code === 0)) throw requestError;
      if (status === undefined) {
        if (requestError !== undefined) throw requestError;
        throw connectionError(this.options, streamError, httpStatus);
      }
      if (status.code !== 0) throw fromGrpcStatus(status.code, status.message);
      if (framingError !== undefined) throw framingError;
      completed = true;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      if (!completed && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
      this.active--;
      if (this.active === 0 && !session.destroyed) session.unref();
    }
  }

  /** A call with one request and one response message. */
  async unary(method: string, request: readonly Uint8Array[], signal?: AbortSignal): Promise<Buffer> {
    let response: Buffer | undefined;
    for await (const message of this.call(method, [request], signal)) response = message;
    if (response === undefined) throw new FusionError("INTERNAL", `${method} returned no response message.`);
    return response;
  }

  /** Closes the connection (calls in flight finish first). */
  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session === undefined || session.closed) return;
    // An idle session is unref'd; keep the process alive until the close completes.
    session.ref();
    await new Promise<void>((resolve) => session.close(() => resolve()));
  }
}

async function writeRequests(
  stream: ClientHttp2Stream,
  requests: AsyncIterable<readonly Uint8Array[]> | Iterable<readonly Uint8Array[]>,
): Promise<void> {
  for await (const frame of requests) {
    if (stream.closed || stream.destroyed) return;
    let writable = true;
    stream.cork();
    for (const chunk of frame) writable = stream.write(chunk);
    stream.uncork();
    if (!writable) {
      await Promise.race([once(stream, "drain"), once(stream, "close")]);
    }
  }
  if (!stream.closed && !stream.destroyed) stream.end();
}

function connectionError(options: GrpcTransportOptions, cause: unknown, httpStatus: number): FusionError {
  const detail = cause instanceof Error ? cause.message : `HTTP status ${httpStatus}`;
  return new ServiceUnavailableError(
    `Could not reach the ML Fusion server at ${options.host}:${options.port} (${detail}); check that it is running (fusion start flight).`,
    { cause },
  );
}
