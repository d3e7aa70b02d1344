// `tracelint check` end to end: inputs (files, recursive directories, stdin), formats, --out,
// --fail-on exit codes, usage errors (exit 2, one clear line, no stack) and damaged inputs.
// Trace data is the SDK-generated fixtures (fixtures/README.md); the only hand-written inputs are
// the deliberately broken files named `*.handwritten.*` below.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinRules } from "../rules/index";
import { STRUCTURE_RULES } from "../fixtures/scenarios/index";
import { ReportSchema, type Report } from "../src/report/schema";
import { runCli } from "./support/cli";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const fixture = (path: string) => relative(process.cwd(), join(repoRoot, "fixtures", path));
const HEALTHY = fixture("healthy/healthy-estate.otlp.json");
const ORPHANS = fixture("structure/orphan-server-span.otlp.json");
const ORPHANS_TEMPO = fixture("structure/orphan-server-span.tempo-v2.json");
const ROOTS_TEMPO = fixture("structure/multiple-roots.tempo-v2.json");

let dir: string;
/** Only the structure rules: the defect fixtures' other findings (e.g. propagation) belong to other tests. */
let structureOnly: string[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-cli-"));
  const off = builtinRules.map((r) => r.meta.id).filter((id) => !(STRUCTURE_RULES as readonly string[]).includes(id));
  const path = join(dir, "structure-only.json");
  await writeFile(path, JSON.stringify({ rules: Object.fromEntries(off.map((id) => [id, "off"])) }));
  structureOnly = ["--config", path];
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function parseReport(text: string): Report {
  return ReportSchema.parse(JSON.parse(text));
}

const SUMMARY_LINE = /^tracelint: \d+ traces?, \d+ spans?, \d+ services? from \d+ inputs?; findings: \d+ errors?, \d+ warnings?, \d+ info/m;

function expectOneUsageLine(stderr: string, text: string): void {
  const lines = stderr.split("\n").filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^tracelint: /);
  expect(lines[0]).toContain(text);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe("tracelint check: inputs", () => {
  it("checks one file: JSON report on stdout, summary on stderr, exit 1 on an error finding", async () => {
    const run = await runCli(["check", ORPHANS, "--format", "json", ...structureOnly]);
    expect(run.code).toBe(1);
    const report = parseReport(run.stdout);
    expect(report.summary).toMatchObject({ files: 1, traces: 3, spans: 21, services: 3, inputErrors: [] });
    expect(report.findings.map((f) => [f.ruleId, f.service, f.category, f.occurrences])).toEqual([
      ["orphan-span", "orders", "caller-span-missing", 3],
    ]);
    expect(run.stderr).toMatch(SUMMARY_LINE);
    expect(run.stderr).toContain("tracelint: 3 traces, 21 spans, 3 services from 1 input; findings: 1 error, 0 warnings, 0 info");
  });

  it("exits 0 with no findings on the healthy estate", async () => {
    const run = await runCli(["check", HEALTHY]);
    expect(run.code).toBe(0);
    const report = parseReport(run.stdout);
    expect(report.summary).toMatchObject({ traces: 60, spans: 460, services: 4 });
    expect(report.findings).toEqual([]);
  });

  it("walks directories recursively, ignores non-trace files and groups a trace split across them", async () => {
    const tree = join(dir, "tree");
    await mkdir(join(tree, "a", "b"), { recursive: true });
    await copyFile(join(repoRoot, "fixtures/structure/split-across-files.gateway.otlp.json"), join(tree, "gateway.otlp.json"));
    await copyFile(join(repoRoot, "fixtures/structure/split-across-files.backend.tempo-v2.json"), join(tree, "a", "b", "backend.json"));
    await writeFile(join(tree, "a", "notes.txt"), "not a trace file, must not be read");
    await writeFile(join(tree, ".hidden.json"), "{ broken"); // dot files are skipped
    const run = await runCli(["check", tree, "--format", "json"]);
    expect(run.code).toBe(0);
    const report = parseReport(run.stdout);
    expect(report.summary).toMatchObject({ files: 2, traces: 2, spans: 19, inputErrors: [] });
    expect(report.findings).toEqual([]);
  });

  it("reads mixed formats in one run (OTLP/JSON and Tempo v2 JSON) and reports both estates", async () => {
    const run = await runCli(["check", ORPHANS_TEMPO, ROOTS_TEMPO, HEALTHY, "--format", "json", ...structureOnly]);
    const report = parseReport(run.stdout);
    expect(report.summary).toMatchObject({ files: 3, traces: 65, inputErrors: [] });
    expect(report.findings.map((f) => [f.ruleId, f.service, f.subject, f.occurrences])).toEqual([
      ["orphan-span", "orders", null, 3],
      ["multiple-roots", "orders", "gateway", 2],
    ]);
    expect(run.code).toBe(1);
  });

  it("reads `-` from stdin through the real bin/tracelint.js", async () => {
    const input = await readFile(join(repoRoot, "fixtures/structure/multiple-roots.otlp.json"));
    const child = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const proc = execFile(
        process.execPath,
        [join(repoRoot, "bin/tracelint.js"), "check", "-", "--fail-on", "warning", ...structureOnly],
        { cwd: dir, timeout: 30_000 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== "number") reject(error);
          else resolve({ code: proc.exitCode, stdout, stderr });
        },
      );
      proc.stdin!.end(input);
    });
    expect(child.stderr).toMatch(SUMMARY_LINE);
    expect(child.code).toBe(1);
    const report = parseReport(child.stdout); // not a TTY: JSON by default
    expect(report.summary).toMatchObject({ files: 1, traces: 2, inputErrors: [] });
    expect(report.findings.map((f) => [f.ruleId, f.severity, f.service])).toEqual([["multiple-roots", "warning", "orders"]]);
  });

  it("reports a malformed file among good ones in summary.inputErrors and analyses the rest", async () => {
    const broken = join(dir, "truncated.handwritten.json");
    await writeFile(broken, '{"resourceSpans": [ {"resource": ');
    const name = broken; // an absolute path is shown as given, not as ../../tmp/…
    const run = await runCli(["check", broken, ORPHANS, "--format", "json", ...structureOnly]);
    const report = parseReport(run.stdout);
    expect(report.summary.files).toBe(2);
    expect(report.summary.traces).toBe(3);
    expect(report.summary.inputErrors).toHaveLength(1);
    expect(report.summary.inputErrors[0]!.file).toBe(name);
    expect(report.summary.inputErrors[0]!.message).not.toContain(name); // the file is named once, in `file`
    expect(report.findings.map((f) => f.ruleId)).toEqual(["orphan-span"]);
    expect(run.stderr).toContain(`tracelint: ${name}: `);
    expect(run.stderr).toMatch(/; 1 input error$/m);
    expect(run.code).toBe(1);
  });

  it("--max-spans: inputs past the limit are not read, each named as an input error, and what was read is analysed", async () => {
    const alone = parseReport((await runCli(["check", ORPHANS, "--format", "json", ...structureOnly])).stdout);
    const spans = alone.summary.spans;
    // The orphan fixture once, then two copies of the healthy estate that the limit leaves unread.
    const copy = join(dir, "healthy-copy.otlp.json");
    await copyFile(HEALTHY, copy);
    const run = await runCli(["check", ORPHANS, HEALTHY, copy, "--max-spans", String(spans), "--format", "json", ...structureOnly]);
    const report = parseReport(run.stdout);
    expect(report.summary).toMatchObject({ files: 3, traces: alone.summary.traces, spans });
    expect(report.findings).toEqual(alone.findings);
    const message = `not read: the check already holds ${spans} spans (limit ${spans}); check fewer files at a time`;
    expect(report.summary.inputErrors).toEqual([
      { file: HEALTHY, message },
      { file: copy, message },
    ]);
    expect(run.stderr).toContain(`tracelint: ${copy}: ${message}`);
    expect(run.code).toBe(1);
    // Room for the healthy estate's 460 spans, and the second file is read too.
    const more = parseReport((await runCli(["check", ORPHANS, HEALTHY, copy, "--max-spans", String(spans + 460), "--format", "json", ...structureOnly])).stdout);
    expect(more.summary.inputErrors.map((e) => e.file)).toEqual([copy]);
    expect(more.summary.spans).toBe(spans + 460);
    // One span less, and the file that would go past the limit is not analysed at all (no partial traces).
    const less = parseReport((await runCli(["check", ORPHANS, HEALTHY, copy, "--max-spans", String(spans + 459), "--format", "json", ...structureOnly])).stdout);
    expect(less.summary.spans).toBe(spans);
    expect(less.summary.inputErrors[0]).toEqual({
      file: HEALTHY,
      message: `not analysed: it holds more than the 459 spans left of the limit of ${spans + 459} (${spans} held already); check fewer or smaller files at a time`,
    });
  });

  it("--max-spans caps a single input too: decoding stops at the limit, in JSON and protobuf", async () => {
    for (const file of [HEALTHY, HEALTHY.replace(/\.otlp\.json$/, ".otlp.pb")]) {
      const run = await runCli(["check", file, "--max-spans", "100", "--format", "json"]);
      // Nothing could be read within the limit: exit 2, as for any input that cannot be read.
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`tracelint: ${file}: not analysed: it holds more than the 100 spans left of the limit of 100 (0 held already)`);
    }
    const fits = await runCli(["check", HEALTHY, "--max-spans", "460", "--format", "json"]);
    expect(fits.code).toBe(0);
    expect(parseReport(fits.stdout).summary).toMatchObject({ spans: 460, inputErrors: [] });
  });
});

/**
 * A real directory chain whose path grows past PATH_MAX (4096 bytes on Linux): every level is a
 * real directory (made through a short symbolic link to its parent), so a walk reaches it as a
 * directory entry and then fails to read it with ENAMETOOLONG, as root too (where chmod 000 does
 * not stop a read). Returns the top of the chain, a short link to its deepest directory, and a
 * cleanup that removes it through the short links (a recursive rm of the long path would fail).
 */
async function unreadableChain(base: string): Promise<{ top: string; deepest: string; remove: () => Promise<void> }> {
  const name = "n".repeat(250);
  const top = join(base, "chain");
  await mkdir(top, { recursive: true });
  const links: string[] = [];
  let parent = top;
  for (let i = 0; i < 18; i++) {
    await mkdir(join(parent, name));
    const link = join(base, `s${i}`);
    await symlink(join(parent, name), link);
    links.push(link);
    parent = link;
  }
  return {
    top,
    deepest: links.at(-1)!,
    remove: async () => {
      for (let i = links.length - 1; i >= 0; i--) await rm(join(links[i]!, name), { recursive: true, force: true });
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** `bin/tracelint.js` as an unprivileged user: uid 65534 through setpriv when this runs as root. */
async function runAsUnprivileged(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string } | undefined> {
  const root = process.getuid?.() === 0;
  if (root && !existsSync("/usr/bin/setpriv")) return undefined;
  const command = root ? "/usr/bin/setpriv" : process.execPath;
  const argv = [...(root ? ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath] : []), join(repoRoot, "bin/tracelint.js"), ...args];
  return new Promise((resolve, reject) => {
    const proc = execFile(command, argv, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") reject(error);
      else resolve({ code: proc.exitCode, stdout, stderr });
    });
  });
}

describe("tracelint check: directories that cannot be read, and its own report", () => {
  it("a subdirectory that cannot be read is an input error and the rest is still checked; nothing readable at all is exit 2", async () => {
    const base = join(dir, "unreadable");
    const chain = await unreadableChain(base);
    try {
      await copyFile(HEALTHY, join(chain.top, "healthy.otlp.json"));
      const run = await runCli(["check", chain.top, "--format", "json"]);
      const report = parseReport(run.stdout);
      expect(report.summary).toMatchObject({ traces: 60, spans: 460 });
      expect(report.summary.inputErrors).toHaveLength(1);
      const [failed] = report.summary.inputErrors;
      expect(failed!.file.startsWith(join(chain.top, "n".repeat(250)))).toBe(true);
      expect(failed!.message).toBe("cannot read: ENAMETOOLONG: name too long (a directory: none of its files were checked)");
      expect(run.stderr).toContain(`: ${failed!.message}`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.code).toBe(0); // the healthy estate has no findings; the unread directory is reported, not a finding
      // A directory named on the command line that cannot be read, and nothing else: exit 2, as for unreadable files.
      const nothing = await runCli(["check", chain.deepest, "--format", "json"]);
      expect(nothing.code).toBe(2);
      expect(parseReport(nothing.stdout).summary.inputErrors).toEqual([{ file: chain.deepest, message: "cannot read: ENAMETOOLONG: name too long (a directory: none of its files were checked)" }]);
      expect(nothing.stderr.split("\n").at(-1)).toBe("tracelint: no input could be read");
      expect(nothing.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await chain.remove();
    }
  });

  it("chmod 000 on a subdirectory, as an unprivileged user: an input error (EACCES), not a stack trace", async () => {
    const base = join(dir, "perm");
    await mkdir(join(base, "d2", "sub"), { recursive: true });
    await copyFile(HEALTHY, join(base, "d2", "healthy.otlp.json"));
    await chmod(dir, 0o755); // mkdtemp's 0700 would keep the unprivileged user out of everything
    await chmod(join(base, "d2", "sub"), 0o000);
    try {
      const run = await runAsUnprivileged(["check", "d2", "--format", "json"], base);
      if (!run) return; // root without setpriv: the test above covers the same path
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stderr).toContain("tracelint: d2/sub: cannot read: EACCES: permission denied (a directory: none of its files were checked)");
      expect(run.code).toBe(0);
      expect(parseReport(run.stdout).summary).toMatchObject({ traces: 60, inputErrors: [{ file: "d2/sub", message: "cannot read: EACCES: permission denied (a directory: none of its files were checked)" }] });
      await chmod(join(base, "d2"), 0o000);
      const top = await runAsUnprivileged(["check", "d2", "--format", "json"], base);
      expect(top!.code).toBe(2);
      expect(top!.stderr).not.toMatch(/\n\s+at /);
      expect(top!.stderr.trim().split("\n").at(-1)).toBe("tracelint: no input could be read");
    } finally {
      await chmod(join(base, "d2"), 0o755);
      await chmod(join(base, "d2", "sub"), 0o755);
      await chmod(dir, 0o700);
    }
  }, 60_000);

  it("a directory walk skips the --out report of an earlier run; the report named explicitly is read", async () => {
    const exp = join(dir, "exp");
    await mkdir(exp, { recursive: true });
    await copyFile(HEALTHY, join(exp, "healthy.otlp.json"));
    const out = join(exp, "report.json");
    for (let i = 0; i < 2; i++) {
      const run = await runCli(["check", exp, "--out", out]);
      expect(run.code).toBe(0);
      expect(parseReport(await readFile(out, "utf8")).summary).toMatchObject({ files: 1, traces: 60, inputErrors: [] });
    }
    // Through another spelling of the same file (a link to the directory): still the --out file.
    await symlink(exp, join(dir, "exp-link"));
    const linked = await runCli(["check", join(dir, "exp-link"), "--out", out]);
    expect(parseReport(await readFile(out, "utf8")).summary).toMatchObject({ files: 1, inputErrors: [] });
    expect(linked.code).toBe(0);
    // Named explicitly it is read (and is no trace document); another report file in the directory is read too.
    const named = await runCli(["check", exp, out, "--format", "json"]);
    expect(parseReport(named.stdout).summary.files).toBe(2);
    expect(parseReport(named.stdout).summary.inputErrors.map((e) => e.file)).toEqual([out]);
  });
});

describe("tracelint check: output", () => {
  it("--format md writes the Markdown report", async () => {
    const run = await runCli(["check", ORPHANS, "--format", "md"]);
    expect(run.stdout.startsWith("# tracelint report")).toBe(true);
    expect(run.stdout).toContain("orphan-span");
    expect(run.stdout).toContain("caller-span-missing");
  });

  it("--out writes the report to a file (format from its extension) and nothing to stdout", async () => {
    const md = join(dir, "out", "report.md");
    const run = await runCli(["check", ORPHANS, "--out", md]);
    expect(run.stdout).toBe("");
    expect(await readFile(md, "utf8")).toMatch(/^# tracelint report/);
    const json = join(dir, "out", "report.json");
    await runCli(["check", ORPHANS, "-o", json, ...structureOnly]);
    expect(parseReport(await readFile(json, "utf8")).findings).toHaveLength(1);
    expect(run.stderr).toMatch(SUMMARY_LINE);
  });

  it.each([
    // multiple-roots is a warning finding
    ["error", ROOTS_TEMPO, 0],
    ["warning", ROOTS_TEMPO, 1],
    ["info", ROOTS_TEMPO, 1],
    ["never", ROOTS_TEMPO, 0],
    // orphan-span is an error finding
    ["error", ORPHANS, 1],
    ["never", ORPHANS, 0],
    // nothing to fail on
    ["info", HEALTHY, 0],
  ])("--fail-on %s with %s exits %i", async (level, file, code) => {
    const run = await runCli(["check", file, "--fail-on", level, "--quiet", ...structureOnly]);
    expect(run.code).toBe(code);
    expect(run.stderr).toBe("");
  });
});

describe("tracelint check: usage errors exit 2 with one clear line", () => {
  it("unknown flag", async () => {
    const run = await runCli(["check", ORPHANS, "--bogus"]);
    expect(run.code).toBe(2);
    expectOneUsageLine(run.stderr, "--bogus");
    expect(run.stdout).toBe("");
  });

  it("bad --fail-on", async () => {
    const run = await runCli(["check", ORPHANS, "--fail-on", "critical"]);
    expect(run.code).toBe(2);
    expectOneUsageLine(run.stderr, '--fail-on must be error, warning, info or never (got "critical")');
  });

  it("bad --max-spans", async () => {
    const run = await runCli(["check", ORPHANS, "--max-spans", "1e6"]);
    expect(run.code).toBe(2);
    expectOneUsageLine(run.stderr, '--max-spans must be a positive whole number (got "1e6")');
  });

  it("bad --format", async () => {
    const run = await runCli(["check", ORPHANS, "--format", "pdf"]);
    expect(run.code).toBe(2);
    expectOneUsageLine(run.stderr, "--format must be json");
    expect(run.stderr).toContain(`(got "pdf")`);
  });

  it("no PATH", async () => {
    const run = await runCli(["check"]);
    expect(run.code).toBe(2);
    expectOneUsageLine(run.stderr, "check needs at least one PATH");
  });

  it("missing path", async () => {
    const run = await runCli(["check", join(dir, "does-not-exist.json")]);
    expect(run.code).toBe(2);
    expectOneUsageLine(run.stderr, "no such file or directory: ");
    expect(run.stderr).toContain("does-not-exist.json");
  });

  it("a directory without trace files", async () => {
    const empty = join(dir, "empty");
    await mkdir(empty, { recursive: true });
    await writeFile(join(empty, "README.txt"), "no traces here");
    const run = await runCli(["check", empty]);
    expect(run.code).toBe(2);
    expectOneUsageLine(run.stderr, "no trace files found in ");
  });

  it("--out that cannot be written", async () => {
    const run = await runCli(["check", ORPHANS, "--out", dir]); // a directory
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^tracelint: cannot write report to .+: /m);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("every input unreadable: each is named, then one closing line", async () => {
    const bad = join(dir, "all-bad");
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, "a.handwritten.json"), "{ not json");
    await writeFile(join(bad, "b.handwritten.pb"), new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    await writeFile(join(bad, "c.handwritten.json"), "");
    const run = await runCli(["check", bad, "--format", "json"]);
    expect(run.code).toBe(2);
    const report = parseReport(run.stdout);
    expect(report.summary.inputErrors.map((e) => e.file.split(/[\\/]/).pop())).toEqual([
      "a.handwritten.json",
      "b.handwritten.pb",
      "c.handwritten.json",
    ]);
    expect(report.summary.inputErrors[2]!.message).toBe("input is empty");
    const lines = run.stderr.split("\n");
    expect(lines.at(-1)).toBe("tracelint: no input could be read");
    expect(lines.filter((l) => l.includes(".handwritten."))).toHaveLength(3);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
