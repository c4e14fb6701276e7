import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Makes `dir` a one-commit Delta table over one Parquet file already at `dir/file` (written by another engine):
 * protocol, metaData with the given top-level fields, and its add action (PROTOCOL.md).
 */
export async function oneFileTable(
  dir: string,
  file: string,
  fields: { name: string; type: unknown }[],
  numRecords: number,
): Promise<void> {
  const schema = { type: "struct", fields: fields.map((f) => ({ ...f, nullable: true, metadata: {} })) };
  const { size } = await stat(join(dir, file));
  const actions = [
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: `one-file-${file}`,
        format: { provider: "parquet", options: {} },
        schemaString: JSON.stringify(schema),
        partitionColumns: [],
        configuration: {},
        createdTime: 0,
      },
    },
    {
      add: {
        path: file,
        partitionValues: {},
        size,
        modificationTime: 0,
        dataChange: true,
        stats: JSON.stringify({ numRecords }),
      },
    },
  ];
  const log = join(dir, "_delta_log");
  await mkdir(log, { recursive: true });
  await writeFile(join(log, "00000000000000000000.json"), `${actions.map((a) => JSON.stringify(a)).join("\n")}\n`);
}
