// The built-in rules, in the order they run. Adding a rule: create `rules/<id>.ts` exporting a
// `defineRule(...)` default, then list it here (one line).
import type { Rule } from "../src/engine/rule";

export const builtinRules: Rule[] = [
];

export function findRule(id: string): Rule | undefined {
  return builtinRules.find((r) => r.meta.id === id);
}
