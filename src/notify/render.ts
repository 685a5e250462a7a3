/** A notification's plain text and simple HTML, from the same content (R25). */
import type { Lang } from "../words/i18n";
import { frame, type Content } from "./texts";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** An absolute link to a page, opened in the recipient's language. */
export function pageLink(publicUrl: string | undefined, path: string, lang: Lang) {
  const base = (publicUrl ?? "").replace(/\/+$/, "");
  return `${base}${path}${path.includes("?") ? "&" : "?"}lang=${lang}`;
}

export function renderMail(content: Content, lang: Lang, publicUrl: string | undefined, tenant: string): { text: string; html: string } {
  const f = frame[lang];
  const link = pageLink(publicUrl, content.path, lang);
  const account = pageLink(publicUrl, "/account", lang);
  const footer = f.footer.replace("{tenant}", tenant);
  const text = [
    `${f.greeting},`,
    ...content.paragraphs,
    ...(content.groups ?? []).map((g) => [g.heading, ...(g.hint ? [`  ${g.hint}`] : []), ...g.items.map((i) => `  - ${i}`)].join("\n")),
    ...(content.action ? [content.action] : []),
    `${f.open} ${content.linkLabel}: ${link}`,
    `-- \n${footer}\n${f.choose}: ${account}`,
  ].join("\n\n");
  const html = [
    `<!DOCTYPE html><html lang="${lang}"><body style="font-family:sans-serif;line-height:1.5;max-width:40em">`,
    `<p>${escape(f.greeting)},</p>`,
    ...content.paragraphs.map((p) => `<p>${escape(p)}</p>`),
    ...(content.groups ?? []).map(
      (g) =>
        `<h3 style="margin-bottom:0">${escape(g.heading)}</h3>${g.hint ? `<p style="margin-top:0"><em>${escape(g.hint)}</em></p>` : ""}${g.items.length ? `<ul>${g.items.map((i) => `<li>${escape(i)}</li>`).join("")}</ul>` : ""}`,
    ),
    ...(content.action ? [`<p><strong>${escape(content.action)}</strong></p>`] : []),
    `<p><a href="${escape(link)}">${escape(f.open)} ${escape(content.linkLabel)}</a></p>`,
    `<hr><p style="color:#666;font-size:small">${escape(footer)} <a href="${escape(account)}">${escape(f.choose)}</a></p>`,
    `</body></html>`,
  ].join("\n");
  return { text, html };
}
