// The rule API, modelled on ESLint: a rule file exports `meta` (id, severity, docs, options schema)
// and `create(context)`, which returns callbacks. The engine owns traversal, configuration,
// severities, aggregation and output; a rule only observes traces and calls `context.report`.
import type { z } from "zod";
import type { Trace } from "../model/trace";

export type Severity = "error" | "warning" | "info";
export const SEVERITIES: readonly Severity[] = ["error", "warning", "info"];
const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

/** True when `severity` is at least as serious as `threshold`. */
export function severityAtLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold];
}
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITY_RANK[b] - SEVERITY_RANK[a];
}

export interface RuleMeta<Options> {
  /** Stable kebab-case id used in config and reports. */
  id: string;
  /** Default severity; the config may override it. */
  severity: Severity;
  /** One line: what the rule finds. */
  description: string;
  /** Longer Markdown docs: exactly what is counted, why it matters and how to fix it. */
  docs: string;
  /** Options with defaults (`schema.parse({})` must succeed). */
  options: z.ZodType<Options>;
  /** Whether the rule runs when the config does not mention it (default true). */
  enabledByDefault?: boolean;
  /**
   * The shared analysis (`context.analysis`) these options configure. Enabled rules naming the same
   * one must have equal options: the analysis runs once, with the options of the first rule that
   * asks for it, so a different value on another rule would be silently ignored.
   */
  optionsConfigure?: string;
}

/** One span (or trace, when spanId is null) that illustrates a finding. */
export interface FindingExample {
  traceId: string;
  spanId: string | null;
  /** The other half of a pair (split traces). */
  relatedTraceId?: string;
  relatedSpanId?: string;
  /** Masked, safe-to-print evidence (never a raw attribute value). */
  evidence?: string;
}

export interface ReportDescriptor {
  /** The service the finding is attributed to. */
  service: string;
  /** What the finding is about: attribute key, name template, edge `a→b`; null when none. */
  subject?: string | null;
  category?: string | null;
  message: string;
  /** Overrides the rule's severity for this finding (e.g. informational categories). */
  severity?: Severity;
  example?: FindingExample;
  /** Defaults to 1. */
  occurrences?: number;
  /**
   * Distinct traces among these occurrences. Reports made while a trace is being checked are
   * counted once per trace automatically; set this only for cross-trace reports from `finish`.
   */
  traceCount?: number;
  /** Remediation text (Markdown) for this finding; first one reported wins. */
  fix?: string;
}

/**
 * A shared, mergeable analysis that several rules read (computed once per run). Rules read it in
 * `finish`: a batch of traces reaches the analysis after every rule has seen it.
 */
export interface AnalysisInstance<State = unknown> {
  trace(trace: Trace): void;
  /** Called once after all traces (and merges), before any rule's `finish`. */
  finish?(): void;
  /** JSON-serialisable state for cross-shard merging. */
  snapshot(): State;
  merge(state: State): void;
}

export interface AnalysisDefinition<Instance extends AnalysisInstance, Options = unknown> {
  id: string;
  create(options: Options): Instance;
}

export interface RuleContext<Options> {
  readonly ruleId: string;
  readonly options: Options;
  readonly severity: Severity;
  report(descriptor: ReportDescriptor): void;
  /** Returns the run's shared instance of an analysis, creating it on first request. */
  analysis<I extends AnalysisInstance, O>(definition: AnalysisDefinition<I, O>, options: O): I;
  /** Adds a top-level report section (e.g. `coverage`); call from `finish`. */
  setSection(name: string, value: unknown): void;
}

export interface RuleListener<State = unknown> {
  /** Called once per complete trace. */
  trace?(trace: Trace): void;
  /** Cross-trace conclusions, after every trace (and every shard) has been seen. */
  finish?(): void;
  /** JSON-serialisable, bounded state for merging shards. Required when `finish` uses state. */
  snapshot?(): State;
  merge?(state: State): void;
}

export interface Rule<Options = any, State = any> {
  meta: RuleMeta<Options>;
  create(context: RuleContext<Options>): RuleListener<State>;
}

/** Identity helper that gives rule files full type inference. */
export function defineRule<Options, State = unknown>(rule: Rule<Options, State>): Rule<Options, State> {
  return rule;
}
