// Renders a finding's `fix` (a small Markdown subset: paragraphs, **bold**, `code`, fenced code
// blocks) to HTML. Escaping happens on every piece before any tag is added.
import { esc } from "./escape";

function inline(text: string): string {
  return text
    .split(/(`[^`\n]*`)/)
    .map((part) => (part.length > 1 && part.startsWith("`") && part.endsWith("`") ? `<code>${esc(part.slice(1, -1))}</code>` : esc(part).replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")))
    .join("");
}

export function renderFix(markdown: string): string {
  const out: string[] = [];
  const blocks = markdown.split(/^```[^\n]*\n([\s\S]*?)^```[ \t]*$/m);
  blocks.forEach((block, i) => {
    if (i % 2 === 1) {
      out.push(`<pre class="snippet"><code>${esc(block.replace(/\n$/, ""))}</code></pre>`);
      return;
    }
    for (const paragraph of block.split(/\n{2,}/)) {
      const text = paragraph.trim();
      if (text) out.push(`<p>${inline(text).replace(/\n/g, "<br>")}</p>`);
    }
  });
  return out.join("");
}
