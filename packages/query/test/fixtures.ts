import { join } from "node:path";
import { runPython } from "@mlfusion/testing";

/**
 * Writes the test datasets with the real deltalake (delta-rs) package, and the same rows as plain Parquet files
 * for DuckDB in Python to compare against:
 * - demo/sales: partitioned by region; version 0 = 3 files (ids 0-299, one id block per region), version 1
 *   appends 3 more (ids 300-599); sales_v0.parquet / sales_v1.parquet hold each version's rows.
 * - demo/crm/customers: unpartitioned, 2 files (ids 0-24, 25-49); customers.parquet.
 * - demo/evolving: column `b` added by the second commit (schema merge); evolving.parquet holds all rows.
 */
export async function writeFixtures(root: string): Promise<{ dataRoot: string; parquetDir: string }> {
  const dataRoot = join(root, "data");
  const parquetDir = join(root, "parquet");
  await runPython(FIXTURE_SCRIPT, [dataRoot, parquetDir]);
  return { dataRoot, parquetDir };
}

const FIXTURE_SCRIPT = `
import sys, os, datetime
import pyarrow as pa, pyarrow.parquet as pq
from deltalake import write_deltalake

data_root, parquet_dir = sys.argv[1], sys.argv[2]
os.makedirs(parquet_dir, exist_ok=True)
regions = ["east", "north", "west"]

def sales(start):
    rows = {"id": [], "region": [], "customer_id": [], "amount": [], "qty": [], "day": [], "ts": [], "note": []}
    for r, region in enumerate(regions):
        for k in range(100):
            i = start + r * 100 + k
            rows["id"].append(i)
            rows["region"].append(region)
            rows["customer_id"].append(i % 50)
            rows["amount"].append(round(i * 1.25 + (i % 7), 2))
            rows["qty"].append(i % 13)
            rows["day"].append(datetime.date(2024, 1, 1) + datetime.timedelta(days=i % 60))
            rows["ts"].append(datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(minutes=i))
            rows["note"].append(None if i % 5 == 0 else f"note {i} é")
    return pa.table({
        "id": pa.array(rows["id"], pa.int64()),
        "region": pa.array(rows["region"], pa.string()),
        "customer_id": pa.array(rows["customer_id"], pa.int32()),
        "amount": pa.array(rows["amount"], pa.float64()),
        "qty": pa.array(rows["qty"], pa.int32()),
        "day": pa.array(rows["day"], pa.date32()),
        "ts": pa.array(rows["ts"], pa.timestamp("us", tz="UTC")),
        "note": pa.array(rows["note"], pa.string()),
    })

v0 = sales(0)
v1 = sales(300)
table = os.path.join(data_root, "demo", "sales")
write_deltalake(table, v0, partition_by=["region"])
write_deltalake(table, v1, partition_by=["region"], mode="append")
pq.write_table(v0, os.path.join(parquet_dir, "sales_v0.parquet"))
pq.write_table(pa.concat_tables([v0, v1]), os.path.join(parquet_dir, "sales_v1.parquet"))

customers = pa.table({
    "id": pa.array(range(50), pa.int32()),
    "name": pa.array([f"customer {i}" for i in range(50)]),
    "tier": pa.array(["gold" if i % 3 == 0 else "silver" for i in range(50)]),
})
ctable = os.path.join(data_root, "demo", "crm", "customers")
write_deltalake(ctable, customers.slice(0, 25))
write_deltalake(ctable, customers.slice(25), mode="append")
pq.write_table(customers, os.path.join(parquet_dir, "customers.parquet"))

etable = os.path.join(data_root, "demo", "evolving")
first = pa.table({"a": pa.array([1, 2, 3], pa.int64())})
second = pa.table({"a": pa.array([4, 5], pa.int64()), "b": pa.array(["x", None], pa.string())})
write_deltalake(etable, first)
write_deltalake(etable, second, mode="append", schema_mode="merge")
pq.write_table(pa.table({"a": pa.array([1, 2, 3, 4, 5], pa.int64()), "b": pa.array([None, None, None, "x", None], pa.string())}), os.path.join(parquet_dir, "evolving.parquet"))
`;
