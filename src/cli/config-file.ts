import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { parseConfigText, resolveConfig, type ResolvedConfig } from "../engine/config";
import type { Rule } from "../engine/rule";
import { UsageError } from "./inputs";

export const DEFAULT_CONFIG_FILE = "tracelint.config.json";

/** Loads --config FILE, else ./tracelint.config.json when present, else defaults. */
export async function loadConfig(path: string | undefined, rules: readonly Rule[]): Promise<ResolvedConfig> {
  const file = path ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (file === undefined) return resolveConfig({}, rules, "defaults");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new UsageError(`cannot read config file ${file}`);
  }
  return parseConfigText(text, rules, file);
}
