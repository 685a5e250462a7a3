/**
 * SSRF guard for every URL a tenant sets (WooCommerce site, Magento base URL): https only (plain http
 * to localhost/127.0.0.1 with an explicit port only when ALLOW_HTTP_SHOP_URLS), no credentials in the
 * URL, no IP literals of private, loopback, link-local, CGNAT or metadata ranges, no internal host names.
 */
export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

function ipv4Blocked(host: string): boolean | null {
  const m = host.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (!m) return null;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return (
    a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 198 && (b === 18 || b === 19)) || a >= 224
  );
}

export function checkShopUrl(raw: string, allowHttpLocal: boolean): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not a valid URL" };
  }
  if (url.username || url.password) return { ok: false, reason: "must not contain credentials" };
  const host = url.hostname.toLowerCase();
  const isLocalDev = (host === "localhost" || host === "127.0.0.1") && url.port !== "";
  if (url.protocol === "http:") {
    if (!(allowHttpLocal && isLocalDev)) return { ok: false, reason: "must use https" };
    return { ok: true, url };
  }
  if (url.protocol !== "https:") return { ok: false, reason: "must use https" };
  if (host.startsWith("[") || host.includes(":")) return { ok: false, reason: "must not be an IP address" };
  const v4 = ipv4Blocked(host);
  if (v4 === true) return { ok: false, reason: "points to a private or reserved address" };
  if (/^\d+$/.test(host) || /^0x/i.test(host)) return { ok: false, reason: "is not a valid host name" };
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal") || host.endsWith(".local") || !host.includes("."))
    return { ok: false, reason: "points to an internal host" };
  if (host === "metadata.google.internal") return { ok: false, reason: "points to a metadata service" };
  return { ok: true, url };
}
