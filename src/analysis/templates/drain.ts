// DRAIN-style clustering of template tokens (He et al., "Drain: An Online Log Parsing Approach
// with Fixed Depth Tree", ICWS 2017), adapted to span names:
// - clusters are grouped by token count and by their first `prefixDepth` tokens (data-like tokens
//   fall into a `*` branch), so a name is only compared with a few candidates;
// - within a group, the most similar cluster wins when the share of equal word tokens reaches
//   `similarity`; differing positions become `{*}`.
// Unlike log DRAIN, two tokens merge only when both look like data (placeholders, or letters mixed
// with digits): names that differ in real words (`billing.reconcile` vs `billing.refund`) never
// merge, which keeps services with many legitimate names quiet.
// State is bounded by `maxClusters`; a name that would need one more cluster is reported as
// overflow to the caller, which may `remove` a cluster it values less to make room (see
// rules/high-cardinality-span-name.ts) or just count the name.
import { isDataLike, Placeholder } from "./classify";
import { tokenIsSeparator } from "./tokenize";

export interface DrainOptions {
  maxClusters: number;
  /** Share (0..1] of word tokens that must be equal for a name to join a cluster. */
  similarity: number;
  /** Leading tokens (separators included) that select the candidate group. */
  prefixDepth: number;
}

export const DEFAULT_DRAIN_OPTIONS: DrainOptions = { maxClusters: 100, similarity: 0.5, prefixDepth: 4 };

export interface Cluster<P> {
  tokens: string[];
  payload: P;
}

/**
 * Clusters sharing a group key; `version` changes whenever one is added, generalised or removed.
 * Versions come from one clock per Drain, so a group removed when it empties and made again later
 * never repeats a version an old match remembers.
 */
interface Group<P> {
  clusters: Cluster<P>[];
  version: number;
}

/** A cluster `match` returned, and what `isCurrent` needs to tell that nothing has changed since. */
export interface DrainMatch<P> {
  readonly cluster: Cluster<P>;
  readonly group: Readonly<Group<P>>;
  readonly version: number;
}

export class Drain<P> {
  readonly #options: DrainOptions;
  readonly #mergePayload: (into: P, from: P) => void;
  readonly #groups = new Map<string, Group<P>>();
  readonly #clusters: Cluster<P>[] = [];
  #clock = 0;
  /**
   * The cluster a token array matched, and its group's version right after: while the group is
   * unchanged the same array matches the same cluster and generalising changes nothing, so the
   * similarity scan is skipped. Weakly keyed by the (memoised, never mutated) array.
   */
  readonly #lastMatch = new WeakMap<readonly string[], { version: number; cluster: Cluster<P> }>();
  /** Group key per token array: callers pass the same (memoised, never mutated) arrays again and again. */
  readonly #groupKeys = new WeakMap<readonly string[], string>();

  constructor(options: DrainOptions, mergePayload: (into: P, from: P) => void) {
    this.#options = options;
    this.#mergePayload = mergePayload;
  }

  get size(): number {
    return this.#clusters.length;
  }

  /** Clusters in creation order. */
  clusters(): readonly Cluster<P>[] {
    return this.#clusters;
  }

  /**
   * The cluster a name's tokens belong to (generalising it if needed), a new cluster made with
   * `createPayload`, or undefined when the name needs a new cluster and the cap is reached.
   */
  add(tokens: readonly string[], createPayload: () => P): Cluster<P> | undefined {
    const group = this.#groups.get(this.#groupKey(tokens));
    const last = this.#lastMatch.get(tokens);
    if (group && last && last.version === group.version) return last.cluster;
    const match = this.#bestMatch(tokens);
    if (match) {
      if (generalise(match.tokens, tokens)) group!.version = ++this.#clock;
      this.#lastMatch.set(tokens, { version: group!.version, cluster: match });
      return match;
    }
    return this.#create(tokens, createPayload());
  }

  /**
   * `add`, returning also what `isCurrent` checks: while it holds, the same tokens would get the
   * same cluster from `add`, unchanged, so a caller that remembers the match may skip `add`.
   */
  match(tokens: readonly string[], createPayload: () => P): DrainMatch<P> | undefined {
    const cluster = this.add(tokens, createPayload);
    if (cluster === undefined) return undefined;
    const group = this.#groups.get(this.#groupKey(tokens))!;
    return { cluster, group, version: group.version };
  }

  /** True while the group of a match has not changed (no cluster added or generalised in it). */
  isCurrent(match: DrainMatch<P>): boolean {
    return match.group.version === match.version;
  }

  /** Adds a whole cluster from another shard; returns false when it had to be dropped (cap). */
  addCluster(tokens: readonly string[], payload: P): boolean {
    const match = this.#bestMatch(tokens);
    if (match) {
      if (generalise(match.tokens, tokens)) this.#groups.get(this.#groupKey(tokens))!.version = ++this.#clock;
      this.#mergePayload(match.payload, payload);
      return true;
    }
    return this.#create(tokens, payload) !== undefined;
  }

  #create(tokens: readonly string[], payload: P): Cluster<P> | undefined {
    if (this.#clusters.length >= this.#options.maxClusters) return undefined;
    const cluster: Cluster<P> = { tokens: [...tokens], payload };
    const key = this.#groupKey(tokens);
    const group = this.#groups.get(key);
    if (group) {
      group.clusters.push(cluster);
      group.version = ++this.#clock;
    } else {
      this.#groups.set(key, { clusters: [cluster], version: ++this.#clock });
    }
    this.#clusters.push(cluster);
    return cluster;
  }

  /**
   * Drops a cluster (the caller makes room for a name it values more). Matches made in its group
   * stop being current; an emptied group is forgotten, so memory stays bounded by `maxClusters`.
   */
  remove(cluster: Cluster<P>): void {
    const at = this.#clusters.indexOf(cluster);
    if (at === -1) return;
    this.#clusters.splice(at, 1);
    const key = this.#groupKey(cluster.tokens);
    const group = this.#groups.get(key)!;
    group.clusters.splice(group.clusters.indexOf(cluster), 1);
    group.version = ++this.#clock;
    if (group.clusters.length === 0) this.#groups.delete(key);
  }

  #groupKey(tokens: readonly string[]): string {
    let key = this.#groupKeys.get(tokens);
    if (key === undefined) {
      const head = tokens.slice(0, this.#options.prefixDepth).map((t) => (isDataLike(t) ? "*" : t));
      key = JSON.stringify([tokens.length, ...head]);
      this.#groupKeys.set(tokens, key);
    }
    return key;
  }

  #bestMatch(tokens: readonly string[]): Cluster<P> | undefined {
    const group = this.#groups.get(this.#groupKey(tokens));
    if (!group) return undefined;
    let best: Cluster<P> | undefined;
    let bestScore = -1;
    for (const cluster of group.clusters) {
      const score = similarity(cluster.tokens, tokens);
      if (score >= this.#options.similarity && score > bestScore) {
        best = cluster;
        bestScore = score;
      }
    }
    return best;
  }
}

/**
 * Share of equal word tokens, or -1 when the sequences cannot merge: a separator differs, or a
 * differing position is not data on both sides.
 */
export function similarity(template: readonly string[], tokens: readonly string[]): number {
  if (template.length !== tokens.length) return -1;
  let words = 0;
  let equal = 0;
  for (let i = 0; i < tokens.length; i++) {
    const a = template[i]!;
    const b = tokens[i]!;
    if (tokenIsSeparator(a) || tokenIsSeparator(b)) {
      if (a !== b) return -1;
      continue;
    }
    words++;
    if (a === b || (a === Placeholder.ANY && isDataLike(b))) equal++;
    else if (!isDataLike(a) || !isDataLike(b)) return -1;
  }
  return words === 0 ? 1 : equal / words;
}

/** Turns positions where the tokens differ into `{*}`; true when the template changed. */
function generalise(template: string[], tokens: readonly string[]): boolean {
  let changed = false;
  for (let i = 0; i < template.length; i++) {
    if (template[i] !== tokens[i] && template[i] !== Placeholder.ANY) {
      template[i] = Placeholder.ANY;
      changed = true;
    }
  }
  return changed;
}
