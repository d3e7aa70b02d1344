import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { reportJsonSchema } from "../src/report/schema";
import { TOOL_VERSION } from "../src/version";

describe("published report schema", () => {
  it("docs/report.schema.json matches the zod schema (run `npm run schema` after changing it)", () => {
    const published = JSON.parse(readFileSync(new URL("../docs/report.schema.json", import.meta.url), "utf8"));
    expect(published).toEqual(reportJsonSchema());
  });
  it("TOOL_VERSION matches package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(TOOL_VERSION).toBe(pkg.version);
  });
});
