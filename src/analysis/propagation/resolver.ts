// Target resolution: which service did a CLIENT/PRODUCER span call? Runs after every trace (and
// shard) has been seen, because a call in one trace may only resolve thanks to another trace.
// First match wins:
//   1. `peer.service`, when it names a service that emits spans;
//   2. learned maps: the call's own SERVER/CONSUMER child; else the address (`host:port`, then
//      `host`) → the service most often seen serving it; for a PRODUCER, its destination → every
//      service seen consuming it (as child, via link, or naming it on a CONSUMER span);
//   3. the host equals a service name, or, for a cluster-internal host, its first DNS label does
//      (`ledger.finance.svc…` → ledger; not `api.stripe.com` → our `api`).
import { addressLookupKeys, firstDnsLabel, firstLabelMayNameService } from "./attributes";
import type { CallAggregate } from "./facts";

export type Resolution =
  | { kind: "services"; services: string[] }
  /** Resolves to the caller itself: not a call, not external. */
  | { kind: "self" }
  | { kind: "unresolved" };

const UNRESOLVED: Resolution = { kind: "unresolved" };
const SELF: Resolution = { kind: "self" };

type LearnedMap = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** The service seen most often behind a key (ties: alphabetical, so the choice is stable). */
function mostSeen(counts: ReadonlyMap<string, number> | undefined): string | undefined {
  if (!counts) return undefined;
  let best: string | undefined;
  let bestCount = -1;
  for (const [service, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== undefined && service < best)) {
      best = service;
      bestCount = count;
    }
  }
  return best;
}

export class TargetResolver {
  readonly #services: ReadonlySet<string>;
  readonly #byLowerName = new Map<string, string>();
  readonly #addresses: LearnedMap;
  readonly #destinations: LearnedMap;

  constructor(services: ReadonlySet<string>, addresses: LearnedMap, destinations: LearnedMap) {
    this.#services = services;
    this.#addresses = addresses;
    this.#destinations = destinations;
    for (const s of [...services].sort()) if (!this.#byLowerName.has(s.toLowerCase())) this.#byLowerName.set(s.toLowerCase(), s);
  }

  resolve(call: Pick<CallAggregate, "from" | "kind" | "target" | "propagatedTo">): Resolution {
    const { target, from } = call;
    const named = (services: Iterable<string>): Resolution => {
      const others = [...new Set(services)].filter((s) => s !== from && this.#services.has(s)).sort();
      return others.length > 0 ? { kind: "services", services: others } : SELF;
    };
    if (target.peerService !== null && this.#services.has(target.peerService)) return named([target.peerService]);

    if (call.kind === "producer") {
      const consumers = new Set(call.propagatedTo);
      if (target.destination !== null) for (const s of this.#destinations.get(target.destination)?.keys() ?? []) consumers.add(s);
      if (consumers.size > 0) return named(consumers);
    } else {
      if (call.propagatedTo.length > 0) return named(call.propagatedTo);
      if (target.host !== null) {
        for (const key of addressLookupKeys({ host: target.host, port: target.port })) {
          const service = mostSeen(this.#addresses.get(key));
          if (service !== undefined) return named([service]);
        }
      }
    }

    if (target.host !== null) {
      const label = firstLabelMayNameService(target.host) ? firstDnsLabel(target.host) : undefined;
      const byName = this.#byLowerName.get(target.host) ?? (label !== undefined ? this.#byLowerName.get(label) : undefined);
      if (byName !== undefined) return named([byName]);
    }
    return UNRESOLVED;
  }
}
