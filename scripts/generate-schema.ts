// Writes docs/report.schema.json from the zod report schema (the source of truth).
import { writeFileSync } from "node:fs";
import { reportJsonSchema } from "../src/report/schema";

const path = new URL("../docs/report.schema.json", import.meta.url);
writeFileSync(path, `${JSON.stringify(reportJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.pathname}`);
