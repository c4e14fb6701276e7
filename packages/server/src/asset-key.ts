import { InvalidArgumentError } from "@mlfusion/core";

/** A dataset's identity: its areas followed by its name, e.g. `["demo", "model_training", "dataset"]`. */
export type AssetKey = readonly string[];

const MAX_SEGMENTS = 16;
const MAX_SEGMENT_LENGTH = 128;

/**
 * Validates an asset key so that it can only ever name a folder strictly inside the data root: 1-16 segments of
 * 1-128 characters, none `.`/`..`, none starting with `.`, none `_delta_log`, no `/`, `\`, NUL or control
 * characters. Throws InvalidArgumentError naming the bad segment.
 *
 * @example
 * validateAssetKey(["demo", "new_dataset"]); // ok
 */
export function validateAssetKey(key: readonly string[]): AssetKey {
  if (key.length === 0) throw new InvalidArgumentError("The asset key is empty; name a dataset such as demo/data.");
  if (key.length > MAX_SEGMENTS) {
    throw new InvalidArgumentError(`The asset key has ${key.length} segments; use at most ${MAX_SEGMENTS}.`);
  }
  for (const segment of key) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) {
      throw new InvalidArgumentError(
        `Invalid asset key segment ${JSON.stringify(segment.slice(0, 200))}: ${problem}; use letters, digits, '-', '_' or '.'.`,
        { details: { key: [...key] } },
      );
    }
  }
  return [...key];
}

function segmentProblem(segment: string): string | undefined {
  if (segment.length === 0) return "it is empty";
  if (segment.length > MAX_SEGMENT_LENGTH) return `it is longer than ${MAX_SEGMENT_LENGTH} characters`;
  if (segment === "." || segment === "..") return "relative path segments are not allowed";
  if (segment.startsWith(".")) return "it starts with '.'";
  if (segment === "_delta_log") return "it is reserved by Delta Lake";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is rejected.
  if (/[/\\\u0000-\u001f\u007f:]/.test(segment)) return "it contains '/', '\\', ':' or a control character";
  return undefined;
}

/** Parses `demo/model_training/dataset` into a validated key. */
export function parseAssetKey(text: string): AssetKey {
  return validateAssetKey(text.split("/"));
}

/** `demo/model_training/dataset`. */
export function formatAssetKey(key: AssetKey): string {
  return key.join("/");
}
