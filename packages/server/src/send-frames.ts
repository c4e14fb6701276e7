import type { GrpcCall } from "./grpc-server.js";

const ignore = () => undefined;

/**
 * Sends every frame of `frames` on `call`, producing the next frame while the current one drains: a DoGet's
 * frames come from work on this thread (a query result converted to Arrow, a Parquet decode), and waiting for
 * HTTP/2 flow control before starting the next one would leave that work idle for the whole drain. At most one
 * frame is held beyond the one being sent. The iterator is closed (its resources released) when sending stops
 * early, on a failed send or a cancelled call. `written` is called with each frame once the socket has taken it
 * (a query result recycles its batches' memory there).
 */
export async function sendFrames(
  call: GrpcCall,
  frames: AsyncIterable<Uint8Array[]>,
  written?: (frame: Uint8Array[]) => void,
): Promise<void> {
  const iterator = frames[Symbol.asyncIterator]();
  let next = iterator.next();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await next;
      if (done === true) {
        finished = true;
        return;
      }
      next = iterator.next();
      // Handled here so that a failure while the send below waits is not an unhandled rejection; the loop's
      // `await next` still throws it.
      next.then(ignore, ignore);
      await call.send(value, written === undefined ? undefined : () => written(value));
    }
  } finally {
    if (!finished) {
      // Let the frame in production settle before closing the generator under it.
      await next.then(ignore, ignore);
      await iterator.return?.(undefined);
    }
  }
}
