// The HTTP API (Hono, runtime-neutral): the same app serves the Worker's `fetch` and
// `tracelint serve`. Reports and run records come from the report bucket through AppServices.
import { Hono, type Context } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { bodyLimit } from "hono/body-limit";
import { AUDIT_NAME, findAudit } from "../config/deployment";
import { isRunId } from "../runs/keys";
import { runStatus } from "../runs/runner";
import type { IndexEntry } from "../runs/types";
import { TOOL_VERSION } from "../version";
import { CONTENT_SECURITY_POLICY } from "../report/html/index";
import { bearerAuth } from "./auth";
import { apiError, AuditRunningError, QueueUnavailableError, StoreUnavailableError } from "./errors";
import { PAGE_CSP, reportsPage, type AuditRow } from "./pages";
import type { AppServices } from "./services";

type Variables = { services: AppServices };
type ServicesFor = (c: Context) => AppServices | Promise<AppServices>;

/** The largest `POST /api/audits` body read (`{"audit": …, "at": …}` is a few dozen bytes). */
const MAX_AUDIT_REQUEST_BYTES = 16 * 1024;

const FORMATS = {
  json: "application/json; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  html: "text/html; charset=utf-8",
} as const;
type Format = keyof typeof FORMATS;

/**
 * Every route and the methods it answers, so that a known path asked with another method is 405
 * with `Allow` rather than a 404 that reads as "no such route". Hono serves HEAD with the GET
 * handler (and the middleware sees GET).
 */
const ROUTES: readonly { route: string; path: RegExp; methods: readonly ("GET" | "POST")[] }[] = [
  { route: "/healthz", path: /^\/healthz$/, methods: ["GET"] },
  { route: "/", path: /^\/$/, methods: ["GET"] },
  { route: "/api/reports", path: /^\/api\/reports$/, methods: ["GET"] },
  { route: "/api/reports/:id", path: /^\/api\/reports\/[^/]+$/, methods: ["GET"] },
  { route: "/api/audits", path: /^\/api\/audits$/, methods: ["POST"] },
  { route: "/api/audits/:id", path: /^\/api\/audits\/[^/]+$/, methods: ["GET"] },
];

/** The route a path belongs to and the methods it takes (`Allow`), or undefined for an unknown path. */
function allowedMethods(path: string): { route: string; allow: string[] } | undefined {
  const found = ROUTES.find((r) => r.path.test(path));
  return found && { route: found.route, allow: found.methods.flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m])) };
}

const ISO_TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.\d{1,9})?)?(Z|[+-](\d\d):(\d\d))$/i;

/**
 * An ISO-8601 time with its zone (`Z` or `±hh:mm`), or undefined. Strict: every field must be in
 * range for its calendar date (JavaScript's Date turns 2026-02-30 into March 2nd; this refuses it).
 */
export function parseIsoTime(text: string): Date | undefined {
  const m = ISO_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  // Round trip: the day must exist in that month (no 02-30, no 04-31, 02-29 only in leap years).
  const calendar = new Date(0);
  calendar.setUTCFullYear(year, month - 1, day); // not Date.UTC, which reads years 0-99 as 1900-1999
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  if (m[7]!.toUpperCase() !== "Z" && (Number(m[8]) > 23 || Number(m[9]) > 59)) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function formatFromAccept(accept: string | undefined): Format {
  const a = (accept ?? "").toLowerCase();
  if (a.includes("text/html")) return "html";
  if (a.includes("text/markdown")) return "md";
  return "json";
}

function configProblem(services: AppServices): string | undefined {
  try {
    services.config();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

async function auditRows(services: AppServices): Promise<AuditRow[]> {
  let configured: { name: string; cron?: string | undefined }[] = [];
  try {
    configured = services.config().audits;
  } catch {
    // still show what is stored
  }
  const names = new Set([...configured.map((a) => a.name), ...(await services.store.auditsWithReports())]);
  const rows: AuditRow[] = [];
  for (const audit of [...names].sort()) {
    const history = await services.store.history(audit);
    rows.push({ audit, cron: configured.find((a) => a.name === audit)?.cron ?? null, latest: await services.store.latest(audit), lastRun: history[0] });
  }
  return rows;
}

export function createApp(servicesFor: ServicesFor): Hono<{ Variables: Variables }> {
  const app = new Hono<{ Variables: Variables }>();
  app.use("*", secureHeaders({ referrerPolicy: "no-referrer" }));
  // Before auth: which methods a documented route takes is no secret, and `POST /healthz` from a
  // probe misconfigured should say what is wrong, not 401.
  app.use("*", async (c, next) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed && !allowed.allow.includes(c.req.method)) {
      const allow = allowed.allow.join(", ");
      return apiError(405, "method_not_allowed", `${c.req.method} is not allowed on ${allowed.route} (allowed: ${allow})`, { Allow: allow });
    }
    await next();
  });

  app.get("/healthz", (c) => c.json({ ok: true, service: "tracelint", version: TOOL_VERSION }));

  app.use("*", async (c, next) => {
    c.set("services", await servicesFor(c));
    await next();
  });
  app.use("*", bearerAuth((c) => (c.get("services") as AppServices).apiToken));

  app.get("/", async (c) => {
    const services = c.get("services");
    const html = reportsPage(await auditRows(services), configProblem(services));
    return c.html(html, 200, { "Content-Security-Policy": PAGE_CSP });
  });

  app.get("/api/reports", async (c) => {
    const services = c.get("services");
    const only = c.req.query("audit");
    if (only !== undefined && !AUDIT_NAME.test(only)) return apiError(400, "bad_request", "audit must be an audit name (lower-case letters, digits and dashes)");
    const limitText = c.req.query("limit") ?? "50";
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 1000) return apiError(400, "bad_request", "limit must be a whole number from 1 to 1000");
    const audits = only !== undefined ? [only] : (await auditRows(services)).map((r) => r.audit);
    const entries: IndexEntry[] = [];
    for (const audit of audits) entries.push(...(await services.store.history(audit)));
    entries.sort((a, b) => (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
    return c.json({
      reports: entries.slice(0, Number(limitText)).map((e) => ({
        ...e,
        links: e.report ? { json: `/api/reports/${e.runId}.json`, md: `/api/reports/${e.runId}.md`, html: `/api/reports/${e.runId}.html` } : null,
      })),
    });
  });

  app.get("/api/reports/:id", async (c) => {
    const services = c.get("services");
    const match = /^(.+?)(?:\.(json|md|html))?$/.exec(c.req.param("id"))!;
    const runId = match[1]!;
    if (!isRunId(runId)) return apiError(404, "not_found", "no such report");
    const format: Format = (match[2] as Format | undefined) ?? formatFromAccept(c.req.header("accept"));
    const record = await services.store.getRun(runId);
    if (!record) return apiError(404, "not_found", "no such report");
    if (!record.report) return apiError(409, "report_not_ready", `run ${runId} is ${record.state}${record.error ? `: ${record.error}` : ""}`);
    const text = await services.store.getText(`${record.report.base}.${format}`);
    if (text === undefined) return apiError(404, "not_found", "the report files are missing from the bucket");
    const headers: Record<string, string> = { "Content-Type": FORMATS[format], Vary: "Accept" };
    if (format === "html") headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY;
    return c.body(text, 200, headers);
  });

  // A body over the limit is refused before it is read.
  app.post(
    "/api/audits",
    bodyLimit({ maxSize: MAX_AUDIT_REQUEST_BYTES, onError: () => apiError(413, "payload_too_large", `the request body is over ${MAX_AUDIT_REQUEST_BYTES} bytes`) }),
  );
  app.post("/api/audits", async (c) => {
    const services = c.get("services");
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return apiError(400, "bad_request", 'expected a JSON body like {"audit": "<name>"}');
    }
    const { audit: name, at } = (body ?? {}) as { audit?: unknown; at?: unknown };
    if (typeof name !== "string") return apiError(400, "bad_request", 'expected a JSON body like {"audit": "<name>"}');
    // `at`: audit the window that ended then (re-run a missed cron, look at an incident).
    let atDate: Date | undefined;
    if (at !== undefined) {
      atDate = typeof at === "string" ? parseIsoTime(at) : undefined;
      if (atDate === undefined) return apiError(400, "bad_request", '"at" must be an ISO-8601 time like 2026-01-01T10:00:00Z (a real date and time, with Z or an offset)');
      if (atDate.getTime() > Date.now() + 60_000) return apiError(400, "bad_request", '"at" is in the future');
      // Tempo takes Unix seconds: a window before 1970 would be refused by Tempo after planning began.
      if (atDate.getTime() < Date.UTC(2000, 0, 1)) return apiError(400, "bad_request", '"at" must be after 2000-01-01');
    }
    let config;
    try {
      config = services.config();
    } catch (error) {
      return apiError(500, "config_invalid", (error as Error).message);
    }
    const audit = findAudit(config, name);
    if (!audit) return apiError(404, "unknown_audit", `no audit named ${JSON.stringify(name)} (configured: ${config.audits.map((a) => a.name).join(", ")})`);
    let record;
    try {
      record = await services.startAudit(audit, atDate);
    } catch (error) {
      if (error instanceof AuditRunningError) return apiError(409, "audit_running", error.message, {}, { runId: error.runId, status: `/api/audits/${error.runId}` });
      if (error instanceof StoreUnavailableError) return apiError(503, "store_unavailable", error.message);
      if (error instanceof QueueUnavailableError) return apiError(503, "queue_unavailable", error.message);
      throw error;
    }
    return c.json({ runId: record.runId, audit: record.audit, state: record.state, status: `/api/audits/${record.runId}` }, 202);
  });

  app.get("/api/audits/:id", async (c) => {
    const services = c.get("services");
    const runId = c.req.param("id");
    if (!isRunId(runId)) return apiError(404, "not_found", "no such run");
    const record = await runStatus(services, runId);
    if (!record) return apiError(404, "not_found", "no such run");
    return c.json(record);
  });

  app.notFound(() => apiError(404, "not_found", "no such route"));
  app.onError((error, c) => {
    console.error(`tracelint api: ${c.req.method} ${new URL(c.req.url).pathname}: ${error instanceof Error ? error.message : String(error)}`);
    return apiError(500, "internal", "internal error");
  });
  return app;
}
