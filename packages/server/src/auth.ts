/**
 * Optional bearer-token authentication (Flight's Handshake plus an `authorization: Bearer <token>` header on
 * every call). With no token configured every call is allowed.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FusionError } from "@mlfusion/core";
import { BasicAuthSchema, encodeGrpcFrame, HandshakeRequestSchema, HandshakeResponseSchema } from "@mlfusion/proto";
import type { GrpcCall } from "./grpc-server.js";

function unauthenticated(message: string): FusionError {
  return new FusionError("UNAUTHENTICATED", message);
}

function tokenMatches(expected: string, presented: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(presented, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Throws UNAUTHENTICATED unless the call carries `authorization: Bearer <token>`. */
export function checkBearerToken(token: string | undefined, headers: IncomingHttpHeaders): void {
  if (token === undefined) return;
  const header = headers.authorization;
  if (typeof header !== "string" || !/^bearer /i.test(header)) {
    throw unauthenticated("This server requires a token: send `authorization: Bearer <token>` or call Handshake.");
  }
  if (!tokenMatches(token, header.slice(7).trim())) {
    throw unauthenticated("The bearer token is not valid for this server; check the configured token.");
  }
}

/**
 * Flight Handshake. The client proves it knows the token by any of: `authorization: Bearer <token>`,
 * `authorization: Basic base64(user:token)` (what pyarrow's `authenticate_basic_token` sends), or a
 * HandshakeRequest payload holding the token or a BasicAuth whose password is the token. The reply carries
 * `authorization: Bearer <token>` in its headers (where pyarrow looks for it) and the token as payload.
 */
export async function handleHandshake(token: string | undefined, call: GrpcCall): Promise<void> {
  let authenticated = token === undefined || headerPresentsToken(token, call.headers);
  if (token !== undefined) call.setResponseHeader("authorization", `Bearer ${token}`);
  const payload = token === undefined ? new Uint8Array(0) : Buffer.from(token, "utf8");
  for await (const message of call.messages()) {
    const request = decodeHandshake(message);
    if (!authenticated && token !== undefined) authenticated = payloadPresentsToken(token, request.payload);
    if (!authenticated) break;
    const response = create(HandshakeResponseSchema, { protocolVersion: request.protocolVersion, payload });
    await call.send([encodeGrpcFrame(toBinary(HandshakeResponseSchema, response))]);
  }
  if (!authenticated) {
    throw unauthenticated("The handshake did not present a valid token; check the configured token.");
  }
  call.sendHeaders();
}

function decodeHandshake(message: Uint8Array) {
  try {
    return fromBinary(HandshakeRequestSchema, message);
  } catch (error) {
    throw new FusionError("INVALID_ARGUMENT", "The handshake request is not a valid HandshakeRequest.", {
      cause: error,
    });
  }
}

function headerPresentsToken(token: string, headers: IncomingHttpHeaders): boolean {
  const header = headers.authorization;
  if (typeof header !== "string") return false;
  if (/^bearer /i.test(header)) return tokenMatches(token, header.slice(7).trim());
  if (/^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon >= 0 && tokenMatches(token, decoded.slice(colon + 1));
  }
  return false;
}

function payloadPresentsToken(token: string, payload: Uint8Array): boolean {
  if (tokenMatches(token, Buffer.from(payload).toString("utf8"))) return true;
  try {
    return tokenMatches(token, fromBinary(BasicAuthSchema, payload).password);
  } catch {
    // Not a BasicAuth message either: the payload presents no token.
    return false;
  }
}
