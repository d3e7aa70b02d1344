// HTTP span names: the method a span says it used, and the part of its name after the method.
import { httpMethodAttribute, type Span } from "../../model/span";

const HTTP_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY"]);
const NAME_METHOD_RE = /^([A-Z]+)\s+(\S.*)$/;

/**
 * The request method from `http.request.method` (or the older `http.method`); a method outside the
 * known set is `HTTP`, as semconv names `_OTHER` spans. Falls back to the name's first word.
 */
export function httpMethodOf(span: Span): string | undefined {
  const attr = httpMethodAttribute(span.attributes);
  if (attr !== undefined) {
    if (HTTP_METHODS.has(attr)) return attr; // already upper case, as instrumentations send it
    const upper = attr.toUpperCase();
    return HTTP_METHODS.has(upper) ? upper : "HTTP";
  }
  const first = NAME_METHOD_RE.exec(span.name)?.[1];
  return first && HTTP_METHODS.has(first) ? first : undefined;
}

/** The name without a leading `METHOD ` (`GET /users/1` → `/users/1`). */
export function nameTarget(name: string): string {
  const match = NAME_METHOD_RE.exec(name);
  return match && HTTP_METHODS.has(match[1]!) ? match[2]! : name;
}

/** True when a URL query (`?k=v` attached to a path) appears in the text. */
export function hasUrlQuery(text: string): boolean {
  return /[^\s?]\?[^\s?]/.test(text);
}

export function stripUrlQuery(text: string): string {
  return text.replace(/(?<=[^\s?])\?\S*/g, "");
}
