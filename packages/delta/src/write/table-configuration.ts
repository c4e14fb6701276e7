import { InvalidArgumentError, UnsupportedFeatureError } from "@mlfusion/core";

// Table properties (`metaData.configuration`) a write may set. Keys outside the `delta.` namespace are free-form
// (dataset tags); `delta.` keys are checked because many of them switch on protocol features.

const NUMERIC = /^\d+$/;
const INTERVAL = /^interval\s+\d+\s+\w+$/i;

const KNOWN: Readonly<Record<string, (value: string) => boolean>> = {
  "delta.appendOnly": (v) => v === "true" || v === "false",
  "delta.checkpointInterval": (v) => NUMERIC.test(v) && Number(v) > 0,
  "delta.deletedFileRetentionDuration": (v) => INTERVAL.test(v),
  "delta.logRetentionDuration": (v) => INTERVAL.test(v),
  "delta.setTransactionRetentionDuration": (v) => INTERVAL.test(v),
  "delta.isolationLevel": (v) => v === "Serializable" || v === "WriteSerializable",
  "delta.dataSkippingNumIndexedCols": (v) => /^-?\d+$/.test(v),
  "delta.dataSkippingStatsColumns": () => true,
  "delta.checkpoint.writeStatsAsJson": (v) => v === "true" || v === "false",
  "delta.checkpoint.writeStatsAsStruct": (v) => v === "true" || v === "false",
  "delta.targetFileSize": (v) => NUMERIC.test(v),
  "delta.enableChangeDataFeed": (v) => v === "false",
  "delta.enableDeletionVectors": (v) => v === "false",
  "delta.columnMapping.mode": (v) => v === "none",
};

/**
 * Throws when a `delta.` property is unknown, has an invalid value, or would enable a protocol feature this
 * writer does not implement (UnsupportedFeatureError naming the property).
 */
export function validateConfiguration(configuration: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(configuration)) {
    if (!key.startsWith("delta.")) continue;
    const check = KNOWN[key];
    if (check === undefined) {
      throw new UnsupportedFeatureError(key, `The table property ${key} is not supported by this writer; remove it.`);
    }
    if (!check(value)) {
      throw new InvalidArgumentError(
        `The table property ${key}=${JSON.stringify(value)} has an invalid or unsupported value.`,
      );
    }
  }
}

/** Milliseconds of a Delta interval string such as "interval 7 days" (undefined when absent or malformed). */
export function parseInterval(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^interval\s+(\d+)\s+(\w+?)s?$/i.exec(value.trim());
  if (m === null) return undefined;
  const unit: Record<string, number> = {
    millisecond: 1,
    second: 1000,
    minute: 60_000,
    hour: 3_600_000,
    day: 86_400_000,
    week: 7 * 86_400_000,
  };
  const factor = unit[(m[2] ?? "").toLowerCase()];
  return factor === undefined ? undefined : Number(m[1]) * factor;
}
