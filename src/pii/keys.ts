// Key-name knowledge: which attribute keys imply a secret whatever the value looks like, and which
// keys semantic conventions define to hold an IP address (so an IP there is expected, not a leak).

/**
 * Key names (the words of a key's last segment, lower case, joined with `_`) that name a secret:
 * `x-api-key`, `apiKey` and `api_key` are all `api_key`.
 */
const SECRET_SEGMENTS = new Set([
  "authorization", "proxy_authorization", "cookie", "set_cookie", "password", "passwd", "pwd",
  "secret", "client_secret", "secret_key", "token", "access_token", "refresh_token", "id_token",
  "auth_token", "session_token", "x_auth_token", "api_key", "apikey", "x_api_key", "private_key",
  "privatekey", "credentials", "access_key", "secret_access_key", "mysql_pwd",
  // Card and one-time authentication data (PCI DSS "sensitive authentication data").
  "cvv", "cvv2", "cvc", "cvc2", "card_pin", "pin_code", "otp", "otp_code", "one_time_password", "passphrase",
]);
const SECRET_SUFFIXES = ["_password", "_secret", "_token", "_api_key", "_apikey", "_private_key"];
/**
 * The word before `token` in `*_token` names that are not credentials: positions in a listing or a
 * stream (`next_page_token`, `nextToken`, `NextContinuationToken`, `resume_token`), request
 * de-duplication (`idempotency_token`), lock ordering (`fencing_token`) and .NET's
 * `CancellationToken`.
 */
const NON_SECRET_TOKENS = new Set([
  "page", "next", "prev", "previous", "continuation", "resume", "sync", "cursor", "pagination", "change", "etag",
  "idempotency", "cancellation", "fencing",
]);

/**
 * The words of a key's last segment, lower case: split at `_`, `-` and camelCase humps
 * (`accessToken` → access, token; `APIKey` → api, key; `x-auth-token` → x, auth, token).
 */
export function keyWords(key: string): string[] {
  const segment = key.slice(key.lastIndexOf(".") + 1) || key;
  return segment
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .split(/[_\-\s]+/)
    .filter((word) => word !== "");
}

/**
 * True when the key's last segment names a secret: `http.request.header.authorization`,
 * `db.password`, `user_token`, `app.accessToken`. Counts such as `gen_ai.usage.input_tokens` are
 * not secrets, nor are cursor, idempotency, fencing and cancellation tokens.
 */
export function isSecretKey(key: string, extra: readonly string[] = []): boolean {
  const words = keyWords(key);
  const name = words.join("_");
  if (extra.length > 0) {
    const lower = key.toLowerCase();
    // A configured name is the whole key, or (without dots) a last segment, spelt any of the ways above.
    if (extra.some((e) => e.toLowerCase() === lower || (!e.includes(".") && keyWords(e).join("_") === name))) return true;
  }
  if (words.length >= 2 && words[words.length - 1] === "token" && NON_SECRET_TOKENS.has(words[words.length - 2]!)) return false;
  return SECRET_SEGMENTS.has(name) || SECRET_SUFFIXES.some((s) => name.endsWith(s));
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

/** OAuth token *types* (RFC 6750, RFC 9449, RFC 8693 URNs): what kind of token, not a token. */
const TOKEN_TYPE = /^(?:bearer|mac|dpop|pop|jwt|basic|urn:ietf:params:oauth:token-type:[a-z_-]+)$/i;
/** A filesystem path: the working directory under a `pwd` key (`shell.pwd`, the `PWD` variable). */
const DIRECTORY = /^(?:~|\.{1,2})?\/|^~$|^[A-Za-z]:\\/;
/** An Erlang/OTP release under an `otp` key (`26`, `26.2.1`, `OTP-26.2`): one-time codes have four digits or more. */
const OTP_RELEASE = /^(?:otp[-_ ]?)?\d{1,3}(?:\.\d{1,3}){0,3}$/i;
/**
 * The class that supplies credentials, under a `credentials` key (`WebIdentityTokenCredentialsProvider`,
 * `com.amazonaws.auth.DefaultAWSCredentialsProviderChain`): a name of code, not a credential.
 */
const PROVIDER_CLASS = /^(?:[A-Za-z_$][\w$]*\.)*[A-Z][A-Za-z0-9]*(?:Provider|Chain|Resolver|Factory|Loader)$/;

/**
 * A value under a secret-named key that is no secret: empty or already masked, a state
 * (looksLikeStateValue), a token type under a `*token` key (`oauth.token` = `Bearer`), a directory
 * under a `pwd` key (`/home/app`), an OTP release under an `otp` key (`erlang.otp` = `26`), or a
 * provider's class name under a `credentials` key.
 */
export function isNonSecretValue(key: string, value: string): boolean {
  if (isRedactedPlaceholder(value) || looksLikeStateValue(key, value)) return true;
  // Names, paths and releases are short; the patterns below then stay cheap whatever the value.
  if (value.length > 200) return false;
  const words = keyWords(key);
  switch (words[words.length - 1]) {
    case "token":
      return TOKEN_TYPE.test(value);
    case "pwd":
      return words.length === 1 && DIRECTORY.test(value);
    case "otp":
      return words.length === 1 && OTP_RELEASE.test(value);
    case "credentials":
      return PROVIDER_CLASS.test(value);
    default:
      return false;
  }
}
