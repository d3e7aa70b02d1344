// Cloudflare Worker entrypoint (thin adapter over the core). The scheduled audits, queues and R2
// reports arrive with the serverless-deployment work; for now it serves a health check.
const worker = {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return Response.json({ ok: true, service: "tracelint" });
    return Response.json({ error: { code: "not_found", message: "no such route" } }, { status: 404 });
  },
};

export default worker;
