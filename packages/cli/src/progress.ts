import type { RecordBatch } from "apache-arrow";

/**
 * Counts rows flowing through a batch stream and, on a terminal, redraws one progress line on stderr at most
 * every 200 ms. Off a terminal it stays silent so logs and pipes are not polluted.
 */
export function withProgress(
  batches: AsyncIterable<RecordBatch>,
  stderr: NodeJS.WritableStream & { isTTY?: boolean },
  label: string,
): { batches: AsyncIterable<RecordBatch>; rows(): number; done(): void } {
  let rows = 0;
  let bytes = 0;
  let lastDraw = 0;
  const started = Date.now();
  const tty = stderr.isTTY === true;
  const draw = () => {
    const seconds = (Date.now() - started) / 1000;
    stderr.write(
      `\r${label}: ${rows.toLocaleString("en-US")} rows, ${(bytes / 1e6).toFixed(1)} MB, ${seconds.toFixed(1)} s`,
    );
  };
  async function* counted(): AsyncGenerator<RecordBatch> {
    for await (const batch of batches) {
      rows += batch.numRows;
      bytes += batch.data.byteLength;
      if (tty && Date.now() - lastDraw > 200) {
        lastDraw = Date.now();
        draw();
      }
      yield batch;
    }
  }
  return {
    batches: counted(),
    rows: () => rows,
    done: () => {
      if (tty) {
        draw();
        stderr.write("\n");
      }
    },
  };
}
