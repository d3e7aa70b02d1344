// Detectors configured by the user: a name (the category), a regex and an optional named
// validator. Regexes are compiled with `new RegExp` (data, not code: allowed in Workers).
import { z } from "zod";
import type { Detector } from "./detectors";
import { maskOpaque } from "./mask";
import { ibanValid, luhnValid } from "./validators";

export const CustomDetectorSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/, "a kebab-case category name"),
    pattern: z.string().min(1),
    flags: z
      .string()
      .regex(/^[imsu]*$/, "only i, m, s and u flags")
      .refine((flags) => new Set(flags).size === flags.length, "a flag given twice")
      .default(""),
    validator: z.enum(["none", "luhn", "iban"]).default("none").describe("Checksum the digits/characters of the match."),
  })
  .strict()
  // Compiled with its flags, as the scan will: `u` makes some patterns that are fine without it
  // invalid (`\-{`), and they must fail here, naming the option, not in the middle of a run.
  .superRefine((detector, ctx) => {
    if (!/^[imsu]*$/.test(detector.flags) || new Set(detector.flags).size !== detector.flags.length) return; // reported on `flags`
    if (!compiles(detector.pattern, detector.flags)) {
      ctx.addIssue({ code: "custom", path: ["pattern"], message: `not a valid regular expression${detector.flags ? ` with flags "${detector.flags}"` : ""}` });
    }
  });
export type CustomDetectorConfig = z.infer<typeof CustomDetectorSchema>;

function compiles(pattern: string, flags: string): boolean {
  try {
    new RegExp(pattern, `${flags}g`);
    return true;
  } catch {
    return false;
  }
}

const VALIDATORS: Record<CustomDetectorConfig["validator"], (text: string) => boolean> = {
  none: () => true,
  luhn: (text) => luhnValid(text.replace(/\D/g, "")),
  iban: (text) => ibanValid(text.replace(/\s/g, "").toUpperCase()),
};

export function compileCustomDetector(config: CustomDetectorConfig): Detector {
  const validate = VALIDATORS[config.validator];
  return {
    category: config.name,
    pattern: new RegExp(config.pattern, `${config.flags}g`),
    accept: (m) => (validate(m[0]) ? m[0] : undefined),
    mask: (value) => maskOpaque(value, config.name),
  };
}
