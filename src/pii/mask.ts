// Masked evidence: enough shape for a service owner to recognise what leaked (which kind of value,
// which domain, the last card digits as receipts print them), never enough to reconstruct it.

export function maskEmail(value: string): string {
  const at = value.lastIndexOf("@");
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  const dot = domain.lastIndexOf(".");
  const tld = domain.slice(dot + 1);
  return `${local.slice(0, 1)}***@${domain.slice(0, 1)}***.${tld}`;
}

export function maskCard(value: string): string {
  const digits = value.replace(/\D/g, "");
  return `**** **** **** ${digits.slice(-4)}`;
}

export function maskIban(value: string): string {
  const compact = value.replace(/\s/g, "");
  return `${compact.slice(0, 2)}**…(iban, ${compact.length} chars)`;
}

export function maskSsn(): string {
  return "***-**-****";
}

export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, "");
  return `+${digits.slice(0, 1)}…(phone, ${digits.length} digits)`;
}

export function maskJwt(value: string): string {
  return `eyJ…(jwt, ${value.split(".").length} parts)`;
}

export function maskBearer(value: string): string {
  const [scheme = "Bearer", token = ""] = value.split(/\s+/, 2);
  return `${scheme} …(bearer-token, ${token.length} chars)`;
}

export function maskBasic(value: string): string {
  const [scheme = "Basic", credentials = ""] = value.split(/\s+/, 2);
  return `${scheme} …(basic-auth, ${credentials.length} chars)`;
}

const API_KEY_PREFIXES = ["github_pat_", "sk_live_", "rk_live_", "sk-proj-", "AKIA", "ASIA", "AIza", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "sk-"];

export function maskApiKey(value: string): string {
  const xox = /^xox[a-z]-/.exec(value);
  const prefix = xox ? xox[0] : (API_KEY_PREFIXES.find((p) => value.startsWith(p)) ?? "");
  return `${prefix}…(api-key, ${value.length} chars)`;
}

export function maskUrlCredentials(value: string): string {
  const scheme = value.slice(0, value.indexOf("://"));
  const host = value.slice(value.lastIndexOf("@") + 1);
  return `${scheme}://***:***@${host}`;
}

export function maskSecretParam(value: string): string {
  if (value.startsWith('"')) return `${value.slice(0, value.indexOf('"', 1) + 1)}:"***"`; // "password": "…"
  const name = value.slice(0, value.indexOf("=")).trim();
  return `${name}=***`;
}

export function maskIp(value: string): string {
  if (value.includes(":")) return `${value.split(":")[0] || ""}:…(ipv6)`;
  return `${value.split(".")[0]}.x.x.x`;
}

/** A value recognised only by its key (`authorization`, `password`, …): length only. */
export function maskOpaque(value: string, label = "secret"): string {
  return `***(${label}, ${value.length} chars)`;
}
