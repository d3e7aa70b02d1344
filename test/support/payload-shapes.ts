// Independent checks of each destination's documented payload shape and limits
// (/work/shared/research/platform.md §6): they return a list of violations, empty when valid.
// Written from the docs, not from the implementation, so a formatter bug shows up here.
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), "utf8");
type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function slackViolations(p: J): string[] {
  const v: string[] = [];
  if (typeof p.text !== "string" || p.text.length === 0) v.push("text fallback missing");
  if (!Array.isArray(p.blocks)) return [...v, "blocks missing"];
  if (p.blocks.length > 50) v.push(`${p.blocks.length} blocks > 50`);
  if (JSON.stringify(p.blocks).length > 13_000) v.push("blocks over ~13k chars (msg_blocks_too_long)");
  for (const b of p.blocks as J[]) {
    if (b.type === "header") {
      if (b.text?.type !== "plain_text") v.push("header text must be plain_text");
      if ((b.text?.text ?? "").length > 150) v.push("header > 150");
    } else if (b.type === "section") {
      if (!["mrkdwn", "plain_text"].includes(b.text?.type)) v.push("section text type");
      if ((b.text?.text ?? "").length > 3000) v.push("section text > 3000");
      if (/<(?![a-z]+:\/\/[^>|]+\|Full report>)/.test(b.text?.text ?? "")) v.push("unescaped < in section");
    } else if (b.type === "context") {
      if (!Array.isArray(b.elements) || b.elements.length > 10) v.push("context elements");
    } else v.push(`unexpected block type ${b.type}`);
  }
  return v;
}

export function teamsViolations(p: J): string[] {
  const v: string[] = [];
  if (p.type !== "message") v.push('type must be "message"');
  if (!Array.isArray(p.attachments) || p.attachments.length !== 1) return [...v, "exactly one attachment expected"];
  const a = p.attachments[0];
  if (a.contentType !== "application/vnd.microsoft.card.adaptive") v.push("contentType");
  const c = a.content ?? {};
  if (c.type !== "AdaptiveCard") v.push("content.type");
  if (typeof c.version !== "string" || Number(c.version) > 1.4) v.push("version must be ≤ 1.4");
  if (!Array.isArray(c.body) || c.body.length === 0) v.push("body");
  if ("@type" in p || "sections" in p) v.push("MessageCard fields present");
  if (bytes(p) > 28_672) v.push(`${bytes(p)} bytes > 28 KB`);
  for (const act of (c.actions ?? []) as J[]) if (act.type !== "Action.OpenUrl" || !/^https?:/.test(act.url)) v.push("action");
  return v;
}

export function discordViolations(p: J, url: URL): string[] {
  const v: string[] = [];
  if (url.searchParams.get("wait") !== "true") v.push("wait=true missing");
  if (JSON.stringify(p.allowed_mentions) !== JSON.stringify({ parse: [] })) v.push("allowed_mentions.parse must be []");
  if (!p.content && !(Array.isArray(p.embeds) && p.embeds.length > 0)) v.push("content or embeds required");
  if ((p.content ?? "").length > 2000) v.push("content > 2000");
  const embeds = (p.embeds ?? []) as J[];
  if (embeds.length > 10) v.push("> 10 embeds");
  let total = 0;
  for (const e of embeds) {
    if ((e.title ?? "").length > 256) v.push("title > 256");
    if ((e.description ?? "").length > 4096) v.push("description > 4096");
    if ((e.fields ?? []).length > 25) v.push("> 25 fields");
    if ((e.footer?.text ?? "").length > 2048) v.push("footer > 2048");
    total += (e.title ?? "").length + (e.description ?? "").length + (e.footer?.text ?? "").length;
    for (const f of (e.fields ?? []) as J[]) {
      total += f.name.length + f.value.length;
      if (f.name.length > 256 || f.value.length > 1024) v.push("field size");
    }
  }
  if (total > 6000) v.push(`embeds total ${total} > 6000`);
  return v;
}

export function googleChatViolations(p: J): string[] {
  const v: string[] = [];
  if ("cards" in p) v.push("deprecated v1 cards");
  if (!Array.isArray(p.cardsV2) || p.cardsV2.length === 0) return [...v, "cardsV2 missing"];
  for (const c of p.cardsV2 as J[]) {
    if (typeof c.cardId !== "string") v.push("cardId");
    const widgets = ((c.card?.sections ?? []) as J[]).flatMap((s) => s.widgets ?? []);
    if (widgets.length > 100) v.push("> 100 widgets");
    if (!c.card?.header?.title) v.push("header.title");
    for (const w of widgets as J[]) {
      const text = w.textParagraph?.text ?? w.decoratedText?.text;
      if (text !== undefined && /<(?!\/?(b|i|u|br|font)\b)/i.test(text)) v.push("unescaped < in widget text");
    }
  }
  if (bytes(p) > 32_000) v.push(`${bytes(p)} bytes > 32,000`);
  return v;
}
