// Is a callee's request the one a caller sent? Compares HTTP method and path when both sides carry
// them; a side that carries nothing is no evidence against the pair.

function segments(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

const PARAM = /^(\{[^}]+\}|:[^/]+|<[^>]+>)$/;
const CATCH_ALL = /^(\*.*|\{[^}]*(\.\.\.|\*)[^}]*\}|\{\*[^}]*\})$/;

/** True when `path` fits the `http.route` template (`{id}`, `:id`, `<id>` segments; `*` catch-alls). */
export function routeMatches(route: string, path: string): boolean {
  const template = segments(route);
  const actual = segments(path);
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    if (CATCH_ALL.test(t)) return true;
    const a = actual[i];
    if (a === undefined) return false;
    if (PARAM.test(t)) continue;
    if (t !== a) return false;
  }
  return template.length === actual.length;
}

function samePath(a: string, b: string): boolean {
  return segments(a).join("/") === segments(b).join("/");
}

export interface RequestShape {
  method: string | null;
  path: string | null;
}

export interface ServedShape {
  method: string | null;
  path: string | null;
  route: string | null;
}

/** Same method (when both have one) and a compatible path (when both have one). */
export function requestsCompatible(call: RequestShape, served: ServedShape): boolean {
  if (call.method !== null && served.method !== null && call.method !== served.method) return false;
  if (call.path === null || (served.path === null && served.route === null)) return true;
  if (served.path !== null && samePath(call.path, served.path)) return true;
  return served.route !== null && routeMatches(served.route, call.path);
}
