// Key-name knowledge: which attribute keys imply a secret whatever the value looks like, and which
// keys semantic conventions define to hold an IP address (so an IP there is expected, not a leak).

/** Last key segments (lower case, `-` read as `_`) that name a secret. */
const SECRET_SEGMENTS = new Set([
  "authorization", "proxy_authorization", "cookie", "set_cookie", "password", "passwd", "pwd",
  "secret", "client_secret", "secret_key", "token", "access_token", "refresh_token", "id_token",
  "auth_token", "session_token", "x_auth_token", "api_key", "apikey", "x_api_key", "private_key",
  "privatekey", "credentials", "access_key", "secret_access_key", "mysql_pwd",
  // Card and one-time authentication data (PCI DSS "sensitive authentication data").
  "cvv", "cvv2", "cvc", "cvc2", "card_pin", "pin_code", "otp", "otp_code", "one_time_password", "passphrase",
]);
const SECRET_SUFFIXES = ["_password", "_secret", "_token", "_api_key", "_apikey", "_private_key"];
/** `*_token` names that hold a position in a listing or stream, not a credential. */
const CURSOR_TOKENS = /(?:^|_)(?:page|next_page|prev_page|previous_page|continuation|resume|sync|cursor|pagination|change|etag)_token$/;

/**
 * True when the key's last segment names a secret: `http.request.header.authorization`,
 * `db.password`, `user_token`. Counts such as `gen_ai.usage.input_tokens` are not secrets.
 */
export function isSecretKey(key: string, extra: readonly string[] = []): boolean {
  const lower = key.toLowerCase();
  const segment = (lower.slice(lower.lastIndexOf(".") + 1) || lower).replace(/-/g, "_");
  if (extra.some((e) => e.toLowerCase() === lower || e.toLowerCase() === segment)) return true;
  if (CURSOR_TOKENS.test(segment)) return false;
  return SECRET_SEGMENTS.has(segment) || SECRET_SUFFIXES.some((s) => segment.endsWith(s));
}

/** Keys where semantic conventions expect an IP address (current and older `net.*` names). */
export const IP_EXPECTED_KEYS: readonly string[] = [
  "client.address", "client.socket.address", "server.address", "server.socket.address",
  "network.peer.address", "network.local.address", "source.address", "destination.address",
  "host.ip", "k8s.pod.ip", "net.peer.ip", "net.peer.name", "net.host.ip", "net.host.name", "net.sock.peer.addr",
  "net.sock.host.addr", "http.client_ip",
  // Jaeger-client / OpenTracing conventions still found in Tempo data (process tag `ip`, `peer.ipv4`).
  "ip", "peer.ipv4", "peer.ipv6", "peer.address",
];

/** Values that are already redacted (`***`, `[REDACTED]`, `<masked>`) leak nothing. */
export function isRedactedPlaceholder(value: string): boolean {
  return /^\s*$|^[*x•.-]+$|^[[<({]?\s*(redacted|masked|filtered|hidden|removed|omitted)\s*[\]>)}]?$/i.test(value);
}

/**
 * A state rather than a secret under a secret-named key: a lower-case identifier of two to four
 * words (`email_sent`, `not set`), or, under a `*token` key, one word (`absent`): tokens are
 * never words, while a one-word value under a password key may be a weak password and still counts.
 */
export function looksLikeStateValue(key: string, value: string): boolean {
  if (value.length > 24) return false;
  if (/^[a-z]+(?:[ _-][a-z]+){1,3}$/.test(value)) return true;
  // Short: a random token can be all lower-case letters, but then it is long.
  return value.length <= 12 && /^[a-z]+$/.test(value) && /token$/i.test(key);
}
