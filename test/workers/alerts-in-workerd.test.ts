// Alert delivery inside workerd, to a real receiver on 127.0.0.1: workerd refuses some fetch
// options that Node accepts (`redirect: "error"` failed every delivery from the Worker).
import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import { deliver } from "../../src/alerts/deliver";

const noWait = async () => {};

describe("alert delivery in workerd", () => {
  it("posts the payload, and does not follow a redirect (the alert is kept for a fixed URL, not retried)", async () => {
    const base = inject("webhookUrl");
    const body = JSON.stringify({ alertKind: "findings", text: "workerd delivery" });
    const ok = await deliver({ url: `${base}/ok`, body, headers: { "Content-Type": "application/json" } }, { sleep: noWait });
    expect(ok).toEqual({ outcome: "delivered", status: 200, attempts: 1 });

    const moved = await deliver({ url: `${base}/moved`, body, headers: { "Content-Type": "application/json" } }, { sleep: noWait });
    expect(moved).toEqual({ outcome: "gone", status: 302, attempts: 1, error: "HTTP 302 redirect, not followed (the webhook URL has moved or is wrong)" });

    const received = (await (await fetch(`${base}/received`)).json()) as { path: string; body: string }[];
    // The redirect target was never posted to.
    expect(received).toEqual([
      { path: "/ok", body },
      { path: "/moved", body },
    ]);
  });
});
