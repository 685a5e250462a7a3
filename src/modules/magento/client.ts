/**
 * Magento 2 REST order search (`GET /rest/V1/orders?searchCriteria…`), Bearer token. The range filters
 * on `updated_at` (polling) or `created_at` (imports), oldest first; the cursor is the next page number.
 * Magento's times are "YYYY-MM-DD HH:MM:SS" in UTC. Credit memos (refunds) by order from
 * `GET /rest/V1/creditmemos`.
 */
import { TransferError } from "../../domain/errors";
import { shopFetchJson } from "../http/shop-fetch";
import type { ShopClient, ShopContext, ShopOrderQuery } from "../types";

const PAGE_SIZE = 100;

const magentoTime = (iso: string) => new Date(iso).toISOString().slice(0, 19).replace("T", " ");

export function magentoSearchUrl(baseUrl: string, q: ShopOrderQuery, page: number) {
  const field = q.by === "created" ? "created_at" : "updated_at";
  const p = new URLSearchParams();
  const filter = (group: number, condition: string, value: string) => {
    const f = `searchCriteria[filter_groups][${group}][filters][0]`;
    p.set(`${f}[field]`, field);
    p.set(`${f}[value]`, value);
    p.set(`${f}[condition_type]`, condition);
  };
  filter(0, "gteq", magentoTime(q.from));
  if (q.to) filter(1, "lt", magentoTime(q.to));
  p.set("searchCriteria[sortOrders][0][field]", field);
  p.set("searchCriteria[sortOrders][0][direction]", "ASC");
  p.set("searchCriteria[pageSize]", String(q.pageSize ?? PAGE_SIZE));
  p.set("searchCriteria[currentPage]", String(page));
  return `${baseUrl.replace(/\/+$/, "")}/rest/V1/orders?${p}`;
}

/** The credit memos of one order (`GET /rest/V1/creditmemos`, searchCriteria on `order_id`). */
export function magentoCreditMemosUrl(baseUrl: string, orderId: string) {
  const f = "searchCriteria[filter_groups][0][filters][0]";
  const p = new URLSearchParams({ [`${f}[field]`]: "order_id", [`${f}[value]`]: orderId, [`${f}[condition_type]`]: "eq", "searchCriteria[pageSize]": "100" });
  return `${baseUrl.replace(/\/+$/, "")}/rest/V1/creditmemos?${p}`;
}

export function magentoClient(ctx: ShopContext): ShopClient {
  let calls = 0;
  const headers = { authorization: `Bearer ${ctx.settings.accessToken}`, accept: "application/json" };
  return {
    calls: () => calls,
    async listRefunds(shopOrderId) {
      calls++;
      const { json } = await shopFetchJson(ctx.fetch, ctx.env, magentoCreditMemosUrl(String(ctx.settings.baseUrl), shopOrderId), { headers });
      const items = (json as { items?: unknown[] })?.items;
      if (!Array.isArray(items)) throw new TransferError("shop_unavailable", "Magento answered without a list of credit memos");
      return items;
    },
    async listOrders(q) {
      const page = Number(q.cursor ?? 1);
      calls++;
      const { json } = await shopFetchJson(ctx.fetch, ctx.env, magentoSearchUrl(String(ctx.settings.baseUrl), q, page), { headers });
      const body = json as { items?: unknown[]; total_count?: number };
      if (!Array.isArray(body?.items)) throw new TransferError("shop_unavailable", "Magento answered without an items list");
      const items = body.items;
      const total = typeof body?.total_count === "number" ? body.total_count : items.length;
      // Magento answers a page past the end with the last page again: stop by the total count.
      const more = items.length > 0 && page * (q.pageSize ?? PAGE_SIZE) < total;
      return { orders: items, nextCursor: more ? String(page + 1) : null, total };
    },
  };
}
