// Groups canonical spans back into the resourceSpans → scopeSpans nesting every OTLP and Tempo
// encoding uses. Identity is object identity (decoders share one Resource/Scope object per batch),
// in first-seen order, so decode → encode keeps the original batching.
import type { InstrumentationScope, Resource, Span } from "../model/span";

export interface ScopeGroup {
  readonly scope: InstrumentationScope;
  readonly spans: Span[];
}

export interface ResourceGroup {
  readonly resource: Resource;
  readonly scopes: ScopeGroup[];
}

export function groupSpans(spans: readonly Span[]): ResourceGroup[] {
  const groups: ResourceGroup[] = [];
  const byResource = new Map<Resource, { group: ResourceGroup; byScope: Map<InstrumentationScope, ScopeGroup> }>();
  for (const span of spans) {
    let entry = byResource.get(span.resource);
    if (!entry) {
      entry = { group: { resource: span.resource, scopes: [] }, byScope: new Map() };
      byResource.set(span.resource, entry);
      groups.push(entry.group);
    }
    let scopeGroup = entry.byScope.get(span.scope);
    if (!scopeGroup) {
      scopeGroup = { scope: span.scope, spans: [] };
      entry.byScope.set(span.scope, scopeGroup);
      entry.group.scopes.push(scopeGroup);
    }
    scopeGroup.spans.push(span);
  }
  return groups;
}
