// Several `tracelint serve` replicas may run the scheduler on one report store: each cron fire is
// claimed with an exclusive create, and only the replica that creates the claim runs the audit.
// Claims older than a week are removed by the replica that wins a later fire.
import { hostname } from "node:os";
import { cronClaimKey, cronClaimsPrefix } from "../runs/keys";
import { listAll, type ObjectStore } from "../storage/object-store";

type Log = (level: "info" | "warn" | "error", message: string) => void;

/** Claims kept this long, then removed (a fire is only ever contested within seconds). */
export const CLAIM_RETENTION_MS = 7 * 24 * 3600_000;

/**
 * True when this replica should run the fire: it created the claim, or the store cannot take
 * claims (no exclusive create, or it rejected one: better a run twice than no run at all).
 */
export async function claimCronFire(store: ObjectStore, audit: string, scheduledTime: Date, now: Date, log: Log): Promise<boolean> {
  if (!store.createIfAbsent) return true;
  const claim = new TextEncoder().encode(JSON.stringify({ host: hostname(), pid: process.pid, at: now.toISOString() }));
  let won: boolean;
  try {
    won = await store.createIfAbsent(cronClaimKey(audit, scheduledTime), claim, { contentType: "application/json" });
  } catch (error) {
    log("warn", `audit ${audit}: could not claim the ${scheduledTime.toISOString()} run (${(error as Error).message}); running it anyway`);
    return true;
  }
  if (!won) {
    log("info", `audit ${audit}: the ${scheduledTime.toISOString()} run was claimed by another replica`);
    return false;
  }
  await pruneClaims(store, audit, new Date(scheduledTime.getTime() - CLAIM_RETENTION_MS), log);
  return true;
}

/** Removes the audit's claims of fires before `before` (best effort: a failure is only logged). */
async function pruneClaims(store: ObjectStore, audit: string, before: Date, log: Log): Promise<void> {
  if (!store.delete) return;
  try {
    // Claim keys end in the fire's ISO time, so they sort by time.
    const prefix = cronClaimsPrefix(audit);
    const cutoff = cronClaimKey(audit, before);
    const old: string[] = [];
    for await (const info of listAll(store, prefix)) if (info.key < cutoff) old.push(info.key);
    for (const key of old) await store.delete(key);
  } catch (error) {
    log("warn", `audit ${audit}: could not remove old cron claims: ${(error as Error).message}`);
  }
}
