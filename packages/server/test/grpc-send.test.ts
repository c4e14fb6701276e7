// GrpcCall.send's write notification: a query result recycles a batch's memory when it fires, so it must not fire
// before the socket has taken the bytes (node:http2 sends from the caller's buffers, without copying them).
import { connect } from "node:http2";
import { createSilentLogger } from "@mlfusion/core";
import { expect, test } from "vitest";
import { type GrpcCall, startGrpcServer } from "../src/grpc-server.js";

test("send's onWritten fires only once the client's flow-control window has let every byte out", async () => {
  const written: number[] = [];
  let sent: (() => void) | undefined;
  const allSent = new Promise<void>((resolve) => {
    sent = resolve;
  });
  const handlers = new Map([
    [
      "/test.Service/Stream",
      async (call: GrpcCall) => {
        const body = new Uint8Array(1 << 20).fill(7);
        const prefix = Uint8Array.from([0, 0, 0x10, 0, 0]); // uncompressed, 1 MiB message
        await call.send([prefix, body], () => written.push(performance.now()));
        sent?.();
      },
    ],
  ]);
  const server = await startGrpcServer({
    host: "127.0.0.1",
    port: 0,
    handlers,
    maxReceiveMessageBytes: 1 << 20,
    logger: createSilentLogger(),
  });
  // A client that does not read at first: a 64 KiB window holds most of the message back in the server.
  const client = connect(`http://127.0.0.1:${server.port}`, { settings: { initialWindowSize: 65535 } });
  try {
    const request = client.request({
      ":method": "POST",
      ":path": "/test.Service/Stream",
      "content-type": "application/grpc",
      te: "trailers",
    });
    request.end(Uint8Array.from([0, 0, 0, 0, 0]));
    request.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(written).toEqual([]);
    let received = 0;
    request.on("data", (chunk: Buffer) => {
      received += chunk.byteLength;
    });
    request.resume();
    await allSent;
    await new Promise((resolve) => request.on("end", resolve));
    expect(received).toBe(5 + (1 << 20));
    expect(written).toHaveLength(1);
  } finally {
    client.destroy();
    await server.close({ graceMs: 100 });
  }
});
