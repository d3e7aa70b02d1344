#!/usr/bin/env bash
# Smoke test of the built Worker in the real runtime. The vitest pool lets eval/new Function pass
# (docs/deploy-cloudflare.md); `wrangler dev` does not. So: bundle the Worker as `wrangler deploy`
# would, run that bundle under `wrangler dev` with local R2/Queues/Durable Objects, serve the demo
# estate from the Tempo-compatible server on 127.0.0.1, fire the cron through
# /cdn-cgi/handler/scheduled and check that both an inline and a fanned-out audit stored a report
# with the expected trace count. Needs only loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false

work="$(mktemp -d)"
pids=()
# Each background helper runs in a session of its own (setsid), so that its whole process group is
# stopped: killing `npx` alone left `wrangler dev` (and its workerd) running after the script.
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "wrangler-smoke: FAILED: $*" >&2
  echo "--- wrangler dev output (last 60 lines) ---" >&2
  tail -n 60 "$work/wrangler.log" >&2 || true
  exit 1
}

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

echo "wrangler-smoke: bundling the Worker"
npx wrangler deploy --dry-run --outdir "$work/dist" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
bundle="$work/dist/worker.js"
[ -f "$bundle" ] || { ls "$work/dist" >&2; echo "wrangler-smoke: no worker.js in the bundle" >&2; exit 1; }

echo "wrangler-smoke: serving the demo estate on 127.0.0.1"
setsid npx tsx --eval '
void (async () => {
  // Dynamic imports: --eval code is CommonJS, the project is ESM with top-level await.
  const { loadDemoSpans } = await import("./scripts/demo.ts");
  const { startTempoServer } = await import("./src/cli/tempo-server.ts");
  const { deltaToEndAt, shiftSpans } = await import("./src/tempo-server/index.ts");
  const recorded = await loadDemoSpans();
  const spans = shiftSpans(recorded, deltaToEndAt(recorded, BigInt(Date.now() - 10 * 60_000) * 1_000_000n));
  const server = await startTempoServer({ spans });
  console.log(server.url);
})();
' >"$work/tempo.url" 2>"$work/tempo.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/tempo.url" ] && break; sleep 0.2; done
tempo_url="$(head -n 1 "$work/tempo.url")"
[ -n "$tempo_url" ] || { cat "$work/tempo.log" >&2; echo "wrangler-smoke: the Tempo server did not start" >&2; exit 1; }

# A webhook receiver: each POST body on its own line in hooks.jsonl (alerts must leave the Worker:
# workerd refuses fetch options Node accepts).
hook_port="$(free_port)"
setsid node -e '
const fs = require("fs");
require("http").createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d)).on("end", () => {
    fs.appendFileSync(process.argv[2], body.replace(/\n/g, " ") + "\n");
    res.writeHead(200).end("ok");
  });
}).listen(Number(process.argv[1]), "127.0.0.1");
' "$hook_port" "$work/hooks.jsonl" >"$work/hooks.log" 2>&1 &
pids+=($!)

config=$(cat <<JSON
{"audits":[
 {"name":"smoke-inline","cron":"*/30 * * * *","source":{"kind":"tempo","url":"$tempo_url","since":"1h","perService":20,"traces":50},
  "alerts":{"destinations":[{"name":"hook","type":"generic","url":"http://127.0.0.1:$hook_port/hook","policy":{"quietPeriodMinutes":0}}]}},
 {"name":"smoke-fanout","cron":"*/30 * * * *","source":{"kind":"tempo","url":"$tempo_url","since":"1h","perService":20,"traces":50},"fanOut":{"inlineMaxTraces":0,"batchSize":10}}
]}
JSON
)
token="smoke-$RANDOM$RANDOM"
port="$(free_port)"

echo "wrangler-smoke: wrangler dev on the bundle (port $port)"
setsid npx wrangler dev "$bundle" --no-bundle --config wrangler.toml --ip 127.0.0.1 --port "$port" \
  --persist-to "$work/state" --var "TRACELINT_CONFIG:$config" --var "API_TOKEN:$token" \
  >"$work/wrangler.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$port"
for _ in $(seq 1 150); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "$base/healthz" | grep -q '"ok":true' || fail "/healthz did not answer"

echo "wrangler-smoke: firing the cron"
# `time` is the scheduled time in milliseconds.
curl -fsS "$base/cdn-cgi/handler/scheduled?cron=*/30+*+*+*+*&time=$(date +%s%3N)" >/dev/null || fail "scheduled trigger refused"

check_audit() {
  local audit="$1" mode="$2" body=""
  for _ in $(seq 1 150); do
    body="$(curl -fsS -H "Authorization: Bearer $token" "$base/api/reports?audit=$audit" || true)"
    if echo "$body" | grep -q '"state":"done"'; then break; fi
    if echo "$body" | grep -q '"state":"failed"'; then fail "$audit failed: $body"; fi
    sleep 0.2
  done
  echo "$body" | grep -q '"state":"done"' || fail "$audit produced no report: $body"
  local run_id
  run_id="$(echo "$body" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).reports[0].runId))')"
  local traces
  traces="$(curl -fsS -H "Authorization: Bearer $token" "$base/api/reports/$run_id.json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).summary.traces))')"
  [ "$traces" = "42" ] || fail "$audit report has $traces traces, expected the demo estate's 42"
  curl -fsS -H "Authorization: Bearer $token" "$base/api/audits/$run_id" | grep -q "\"mode\":\"$mode\"" || fail "$audit did not run $mode"
  echo "wrangler-smoke: $audit ok (run $run_id, $mode, $traces traces)"
}
check_audit smoke-inline inline
check_audit smoke-fanout fan-out

for _ in $(seq 1 50); do grep -q '"alertKind"' "$work/hooks.jsonl" 2>/dev/null && break; sleep 0.2; done
grep -q '"alertKind":"findings"' "$work/hooks.jsonl" 2>/dev/null || fail "no findings alert reached the webhook receiver"
echo "wrangler-smoke: the findings alert reached the webhook receiver"

status="$(curl -s -o /dev/null -w '%{http_code}' "$base/api/reports")"
[ "$status" = "401" ] || fail "the API answered $status without a token"
if grep -Eq "EvalError|Code generation from strings disallowed" "$work/wrangler.log"; then fail "code generation in the Worker"; fi
echo "wrangler-smoke: passed"
