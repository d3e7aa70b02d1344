import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import piiRule from "../rules/pii-in-attributes";
import { resolveConfig } from "../src/engine/config";
import { BUILTIN_DETECTORS } from "../src/pii/detectors";
import { findPii } from "../src/pii/scan";
import { checkInputs } from "../src/pipeline/check";
import type { Report } from "../src/report/schema";

async function runPii(bytes: Uint8Array, options: Record<string, unknown> = {}): Promise<Report> {
  const config = resolveConfig({ rules: { "pii-in-attributes": ["error", options] } }, [piiRule]);
  return checkInputs([{ name: "sdk.json", read: async () => bytes }], config, { now: new Date(0) });
}

const rows = (report: Report) =>
  report.findings.map((f) => [f.service, f.subject, f.category, f.severity, f.occurrences, f.traceCount, f.examples[0]?.evidence]);

/** A checkout → payments estate producing PII in every place the rule scans, from the real SDK. */
function estate(): Uint8Array {
  const rec = new TraceRecorder({ seed: 11 });
  const checkout = rec.tracer("checkout", { resource: { "deployment.contact": "oncall.team@shop.example" } });
  const payments = rec.tracer("payments");
  for (let i = 0; i < 2; i++) {
    const t0 = i * 100;
    const root = checkout.startSpan("POST /checkout", {
      kind: SpanKind.SERVER,
      startTime: rec.time(t0),
      attributes: {
        "user.email": `buyer${i}@mail.example`,
        "http.request.header.authorization": ["Bearer tok_live_abcdef1234567890XYZ"],
        "http.request.header.cookie": ["session=a1b2c3"],
        "client.address": "203.0.113.7",
        "app.note": "forwarded for 198.51.100.23",
        "service.version": "1.2.3.4",
      },
    });
    if (i === 0) {
      const call = payments.startSpan(
        "charge",
        {
          kind: SpanKind.SERVER,
          startTime: rec.time(t0 + 1),
          attributes: { "db.statement": "SELECT * FROM cards WHERE pan = '4111111111111111'", "employee": "EMP-123456" },
          links: [{ context: root.spanContext(), attributes: { "origin.url": "https://svc:s3cr3t-pw@ledger.internal/api" } }],
        },
        rec.extract(rec.inject(root)),
      );
      call.addEvent("refund to DE89 3704 0044 0532 0130 00", { "payer.iban": "GB82 WEST 1234 5698 7654 32" }, rec.time(t0 + 2));
      call.setStatus({ code: SpanStatusCode.ERROR, message: "declined, customer phone +44 20 7946 0958" });
      call.end(rec.time(t0 + 5));
    }
    root.end(rec.time(t0 + 10));
  }
  return rec.toOtlpJson();
}

describe("pii-in-attributes on SDK-generated traces", () => {
  it("reports one finding per (service, key, category) with masked evidence and span occurrences", async () => {
    const report = await runPii(estate());
    expect(rows(report)).toEqual([
      ["checkout", "http.request.header.authorization", "bearer-token", "error", 2, 2, "Bearer …(bearer-token, 28 chars)"],
      ["checkout", "http.request.header.cookie", "secret-key", "error", 2, 2, "***(secret, 14 chars)"],
      ["checkout", "resource.deployment.contact", "email", "error", 2, 2, "o***@s***.example"],
      ["checkout", "user.email", "email", "error", 2, 2, "b***@m***.example"],
      ["payments", "db.statement", "credit-card", "error", 1, 1, "**** **** **** 1111"],
      ["payments", "event.name", "iban", "error", 1, 1, "DE**…(iban, 22 chars)"],
      ["payments", "event.payer.iban", "iban", "error", 1, 1, "GB**…(iban, 22 chars)"],
      ["payments", "link.origin.url", "url-credentials", "error", 1, 1, "https://***:***@ledger.internal"],
      ["payments", "status.message", "phone", "error", 1, 1, "+4…(phone, 12 digits)"],
      ["checkout", "app.note", "ip-address", "info", 2, 2, "198.x.x.x"],
    ]);
    const byKey = new Map(report.findings.map((f) => [`${f.subject}/${f.category}`, f]));
    expect(byKey.get("user.email/email")!.message).toBe("Span attribute `user.email` carries email addresses; mask or drop them before export.");
    expect(byKey.get("event.name/iban")!.message).toBe("Span event names carry IBANs (valid mod-97 check digits); mask or drop them before export.");
    expect(byKey.get("http.request.header.authorization/bearer-token")!.fix).toContain(
      `- 'delete_key(attributes, "http.request.header.authorization")'`,
    );
    expect(byKey.get("event.payer.iban/iban")!.fix).toContain("- context: spanevent");
    expect(byKey.get("resource.deployment.contact/email")!.fix).toContain('replace_pattern(attributes["deployment.contact"]');
    expect(byKey.get("resource.deployment.contact/email")!.fix).toContain("- context: resource");
    expect(byKey.get("link.origin.url/url-credentials")!.fix).toContain("Link attributes are not reachable");
    expect(byKey.get("status.message/phone")!.fix).toContain('replace_pattern(status.message, "');
  });

  it("honours the allowlist, category switches and custom detectors", async () => {
    const report = await runPii(estate(), {
      allow: [{ key: "user.email", categories: ["email"] }, { key: "resource.deployment.*" }],
      categories: { "ip-address": false, phone: false, "secret-key": false },
      detectors: [{ name: "employee-id", pattern: "EMP-[0-9]{6}" }],
    });
    expect(rows(report)).toEqual([
      ["checkout", "http.request.header.authorization", "bearer-token", "error", 2, 2, "Bearer …(bearer-token, 28 chars)"],
      ["payments", "db.statement", "credit-card", "error", 1, 1, "**** **** **** 1111"],
      ["payments", "employee", "employee-id", "error", 1, 1, "***(employee-id, 10 chars)"],
      ["payments", "event.name", "iban", "error", 1, 1, "DE**…(iban, 22 chars)"],
      ["payments", "event.payer.iban", "iban", "error", 1, 1, "GB**…(iban, 22 chars)"],
      ["payments", "link.origin.url", "url-credentials", "error", 1, 1, "https://***:***@ledger.internal"],
    ]);
  });

  it("masks an attribute key that itself holds personal data when it names the finding", async () => {
    const rec = new TraceRecorder({ seed: 12 });
    rec.tracer("crm").startSpan("sync", { startTime: rec.time(0), attributes: { "quota.alice.smith@example.com": "card 4111111111111111." } }).end(rec.time(1));
    const report = await runPii(rec.toOtlpJson());
    expect(rows(report)).toEqual([["crm", "q***@e***.com", "credit-card", "error", 1, 1, "**** **** **** 1111"]]);
    expect(JSON.stringify(report)).not.toContain("alice");
  });

  it("leaves pagination cursors, state words and pod IPs alone, and still reports a weak password", async () => {
    const rec = new TraceRecorder({ seed: 13 });
    rec.tracer("accounts", { resource: { "k8s.pod.ip": "10.42.3.17" } }).startSpan("list", {
      startTime: rec.time(0),
      attributes: {
        "app.pagination.next_page_token": "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA3",
        "app.auth.reset_password": "email_sent",
        "app.auth.token": "absent",
        "db.password": "letmein",
      },
    }).end(rec.time(1));
    const report = await runPii(rec.toOtlpJson());
    expect(rows(report)).toEqual([["accounts", "db.password", "secret-key", "error", 1, 1, "***(secret, 7 chars)"]]);
  });

  it("reports secrets under camelCase keys, and not cursors, idempotency or fencing tokens, token types, directories, OTP releases or provider classes", async () => {
    const rec = new TraceRecorder({ seed: 131 });
    rec.tracer("auth").startSpan("work", {
      startTime: rec.time(0),
      attributes: {
        // Not secrets.
        "aws.s3.list.next_token": "eyJDb250aW51YXRpb25Ub2tlbiI6bnVsbH0",
        "pagination.nextToken": "AAMA-EFRSURBSGg0",
        "payment.idempotency_token": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "dotnet.cancellation_token": "System.Threading.CancellationToken",
        "lock.fencing_token": "184467",
        "oauth.token": "Bearer",
        "shell.pwd": "/home/app",
        "erlang.otp": "26",
        "aws.credentials": "WebIdentityTokenCredentialsProvider",
        // Secrets.
        "app.accessToken": "a8f5f167f44f4964e6c998dee827110c9b2d",
        "db.userPassword": "Tr0ub4dor&3",
        "oauth.clientSecret": "8fj3kd92jfk39dkfj39",
        "auth.refreshToken": "def50200a1b2c3d4e5f6",
      },
    }).end(rec.time(1));
    const report = await runPii(rec.toOtlpJson());
    expect(rows(report)).toEqual([
      ["auth", "app.accessToken", "secret-key", "error", 1, 1, "***(secret, 36 chars)"],
      ["auth", "auth.refreshToken", "secret-key", "error", 1, 1, "***(secret, 20 chars)"],
      ["auth", "db.userPassword", "secret-key", "error", 1, 1, "***(secret, 11 chars)"],
      ["auth", "oauth.clientSecret", "secret-key", "error", 1, 1, "***(secret, 19 chars)"],
    ]);
  });

  it("does not read UUIDs, upper-case hex IDs or signed decimals as cards, IBANs or phones, and finds URL-encoded phones and addresses", async () => {
    const rec = new TraceRecorder({ seed: 141 });
    rec.tracer("orders").startSpan("send sms to %2B4915112345678 attempt 3", {
      kind: SpanKind.SERVER,
      startTime: rec.time(0),
      attributes: {
        "url.path": "/orders/49641912-4376-4787-a2e2-1d598c57dc48",
        "app.request_id": "DE732D2E433EC56F24B1C71B106E934D",
        "ledger.delta": "+12345.678",
        "app.geo": "+40.712776,-74.005974",
        "app.location": "+40.6894-074.0447/",
        "url.full": "https://api.example.com/verify?phone=%2B14155552671",
        "http.target": "/subscribe?e=jane%2Bnews%40gmail.com",
      },
    }).end(rec.time(1));
    const report = await runPii(rec.toOtlpJson());
    expect(rows(report)).toEqual([
      ["orders", "http.target", "email", "error", 1, 1, "j***@g***.com"],
      ["orders", "span.name", "phone", "error", 1, 1, "+4…(phone, 13 digits)"],
      ["orders", "url.full", "phone", "error", 1, 1, "+1…(phone, 11 digits)"],
    ]);
    expect(JSON.stringify(report)).not.toMatch(/4915112345678|14155552671|jane/);
  });

  it("finds Basic credentials and presigned-URL signatures in free text, and leaves a URL's IP host (a string or in an array) and a signed amount alone", async () => {
    const rec = new TraceRecorder({ seed: 17 });
    const span = rec.tracer("gateway").startSpan("GET /files/{id}", {
      kind: SpanKind.CLIENT,
      startTime: rec.time(0),
      attributes: {
        "url.full": "http://10.0.3.7:8080/files/7?X-Amz-Expires=900&X-Amz-Signature=8f3b2e1d0c9a77",
        "app.upstream": ["http://[2001:db8::7]:8080/health"],
        "app.ledger.delta": "+125000000",
      },
    });
    span.addEvent("exception", { "exception.message": "401 from upstream, sent Authorization: Basic YWRtaW46aHVudGVyMg==" }, rec.time(1));
    span.end(rec.time(2));
    const report = await runPii(rec.toOtlpJson());
    expect(rows(report)).toEqual([
      ["gateway", "event.exception.message", "basic-auth", "error", 1, 1, "Basic …(basic-auth, 20 chars)"],
      ["gateway", "url.full", "secret-param", "error", 1, 1, "X-Amz-Signature=***"],
    ]);
    const basic = report.findings.find((f) => f.category === "basic-auth")!;
    expect(basic.message).toBe("Span event attribute `exception.message` carries HTTP Basic credentials (base64 of user:password); mask or drop them before export.");
    expect(basic.fix).toContain(`replace_pattern(attributes["exception.message"], "(?i)basic[[:space:]]+[A-Za-z0-9+/=]+", "Basic [redacted]")`);
    expect(JSON.stringify(report)).not.toMatch(/YWRtaW46aHVudGVyMg|hunter2|8f3b2e1d0c9a77/);
  });

  it("rejects an invalid custom regex with the option path", () => {
    expect(() => resolveConfig({ rules: { "pii-in-attributes": ["error", { detectors: [{ name: "bad", pattern: "(" }] }] } }, [piiRule])).toThrow(
      /rules\.pii-in-attributes\.options\.detectors\.0\.pattern: not a valid regular expression/,
    );
  });
});

/** Values each detector reports, in every form it accepts (test values: RFC, IANA and vendor examples). */
const DETECTED: readonly [category: string, text: string][] = [
  ["email", "contact jane.doe@example.com"],
  ["email", "?email=jane.doe%40gmail.com"],
  ["email", "/subscribe?e=jane%2Bnews%40gmail.com"],
  ["credit-card", "4242 4242 4242 4242"],
  ["credit-card", "card=5555-5555-5555-4444"],
  ["credit-card", "3782 822463 10005"],
  ["iban", "DE89 3704 0044 0532 0130 00"],
  ["iban", "GB82WEST12345698765432"],
  ["us-ssn", "ssn 123-45-6789"],
  ["phone", "+14155552671"],
  ["phone", "+1 (415) 555-2671"],
  ["phone", "+1.415.555.2671"],
  ["phone", "?phone=%2B14155552671"],
  ["phone", "to=%2B44+20+7946+0958"],
  ["phone", "call%20%2B1%20(415)%20555-2671"],
  ["jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"],
  ["bearer-token", "Authorization: Bearer 9f8e7d6c5b4a39281706abcdef"],
  ["bearer-token", "Authorization: Bearer\t9f8e7d6c5b4a39281706abcdef"],
  ["basic-auth", "Authorization: Basic YWRtaW46aHVudGVyMg=="],
  ["api-key", "AKIAIOSFODNN7EXAMPLE"],
  ["api-key", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t"],
  ["url-credentials", "postgres://admin:s3cret@db.internal:5432/app"],
  ["url-credentials", "redis://:Sup3rS3cretPass@redis-master.shop.svc:6379"],
  ["secret-param", "/login?user=a&password=hunter2"],
  ["secret-param", "UPDATE users SET password = 'hunter 2' WHERE id = 1"],
  ["secret-param", 'connect password="hunter 2" now'],
  ["secret-param", '{"username":"jdoe","password":"hunter2!Secret"}'],
  ["secret-param", "https://x.example.com/k?api-key=abc123"],
  ["ip-address", "client 203.0.113.9"],
  ["ip-address", "2001:db8::8a2e:370:7334"],
  ["ip-address", "2a02:8070:abcd:1200:1c2b:3d4e:5f60:7a8b"],
];

/**
 * The pattern and replacement of a fix's `replace_pattern` statement, read back as the Collector
 * would: the YAML single-quoted scalar (`''` is `'`), then the OTTL string literals (`\"` is `"`).
 */
function collectorPattern(fix: string): { pattern: string; replacement: string } {
  const line = fix.split("\n").find((l) => l.startsWith("          - '"))!;
  const statement = line.slice("          - '".length, -1).replace(/''/g, "'");
  const m = /^replace_pattern\(name, ("(?:[^"\\]|\\.)*"), ("(?:[^"\\]|\\.)*")\)$/.exec(statement);
  expect(m, statement).not.toBeNull();
  return { pattern: JSON.parse(m![1]!) as string, replacement: JSON.parse(m![2]!) as string };
}

describe("pii-in-attributes Collector patterns", () => {
  it("are RE2 without backslashes, quote correctly, and mask every form their detector reports", async () => {
    const { piiFix } = await import("../src/remediation/pii");
    for (const [category, text] of DETECTED) {
      expect(findPii(text, BUILTIN_DETECTORS).map((m) => m.category), text).toContain(category);
      // span.name gets replace_pattern for every category (attributes holding a credential get delete_key).
      const { pattern } = collectorPattern(piiFix("span.name", category));
      // RE2 has no lookarounds or back-references; no backslashes and no `$` (Collector expansion).
      expect(pattern, category).not.toMatch(/\\|\$|\(\?<?[=!]/);
      // The redaction processor alternative carries the same pattern (YAML single-quoted).
      const blocked = /blocked_values: \['(.*)'\]/.exec(piiFix("app.value", category))?.[1]?.replace(/''/g, "'");
      if (blocked !== undefined) expect(blocked, category).toBe(pattern);
      // As a JS regex (`(?i)` is a flag there, `[[:space:]]` is `\s`), it leaves nothing to find.
      const ignoreCase = pattern.startsWith("(?i)");
      const js = new RegExp((ignoreCase ? pattern.slice(4) : pattern).replace(/\[\[:space:\]\]/g, "\\s"), ignoreCase ? "gi" : "g");
      const masked = text.replace(js, "[masked]");
      expect(findPii(masked, BUILTIN_DETECTORS).filter((m) => m.category === category), `${category}: ${text} → ${masked}`).toEqual([]);
    }
  });

  it("cover IPv6 client addresses and %40-encoded addresses under attribute keys", async () => {
    const { piiFix } = await import("../src/remediation/pii");
    const ip = piiFix("client.address", "ip-address");
    const ipPattern = new RegExp(/replace_pattern\(attributes\["client\.address"\], "([^"]*)"/.exec(ip)![1]!, "g");
    expect("2001:db8::8a2e:370:7334".replace(ipPattern, "[ip]")).toBe("[ip]");
    expect("[2a02:8070:abcd:1200:1c2b:3d4e:5f60:7a8b]:443".replace(ipPattern, "[ip]")).toBe("[[ip]]:443");
    expect("203.0.113.9".replace(ipPattern, "[ip]")).toBe("[ip]");
    const email = piiFix("url.full", "email");
    const emailPattern = new RegExp(/replace_pattern\(attributes\["url\.full"\], "([^"]*)"/.exec(email)![1]!, "g");
    expect("https://shop.example.com/account?email=jane.doe%40gmail.com".replace(emailPattern, "[email]")).toBe("https://shop.example.com/account?email=[email]");
    expect("/subscribe?e=jane%2Bnews%40gmail.com".replace(emailPattern, "[email]")).toBe("/subscribe?e=[email]");
  });
});

describe("pii-in-attributes fixes", () => {
  it("gives a Collector snippet for a key in another script, and says why there is none for a key with quotes", async () => {
    const { piiFix } = await import("../src/remediation/pii");
    expect(piiFix("مفتاح.البريد", "email")).toContain(`replace_pattern(attributes["مفتاح.البريد"], `);
    const unsafe = piiFix('app."weird key"', "email");
    expect(unsafe).toContain("The attribute key holds characters (spaces, quotes, control characters) that tracelint does not write into a Collector snippet");
    expect(unsafe).not.toContain("No generic Collector pattern exists");
  });
});
