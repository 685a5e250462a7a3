/**
 * WooCommerce REST v3 (`GET /wp-json/wc/v3/orders`), basic auth with the consumer key and secret.
 * `after`/`before` filter the creation date, `modified_after`/`modified_before` the last change (GMT).
 * Ordered by creation date, ascending, so an order changed during a sweep keeps its place (no page
 * shifts); the cursor is the next page number, X-WP-TotalPages says when to stop.
 */
import { TransferError } from "../../domain/errors";
import { shopFetchJson } from "../http/shop-fetch";
import type { ShopClient, ShopContext, ShopOrderQuery } from "../types";

const PAGE_SIZE = 100; // WooCommerce's maximum per_page

/** WooCommerce's `after` is exclusive; one second earlier makes `from` inclusive. */
const gmt = (iso: string, shiftSeconds = 0) => new Date(new Date(iso).getTime() + shiftSeconds * 1000).toISOString().slice(0, 19);

export function woocommerceOrdersUrl(siteUrl: string, q: ShopOrderQuery, page: number) {
  const [after, before] = q.by === "created" ? ["after", "before"] : ["modified_after", "modified_before"];
  const p = new URLSearchParams({ [after]: gmt(q.from, -1) });
  if (q.to) p.set(before, gmt(q.to));
  p.set("dates_are_gmt", "true");
  p.set("orderby", "date");
  p.set("order", "asc");
  p.set("page", String(page));
  p.set("per_page", String(Math.min(q.pageSize ?? PAGE_SIZE, PAGE_SIZE)));
  return `${siteUrl.replace(/\/+$/, "")}/wp-json/wc/v3/orders?${p}`;
}

export function woocommerceClient(ctx: ShopContext): ShopClient {
  let calls = 0;
  const auth = `Basic ${btoa(`${ctx.settings.consumerKey}:${ctx.settings.consumerSecret}`)}`;
  return {
    calls: () => calls,
    async listOrders(q) {
      const page = Number(q.cursor ?? 1);
      calls++;
      const { json, headers } = await shopFetchJson(ctx.fetch, ctx.env, woocommerceOrdersUrl(String(ctx.settings.siteUrl), q, page), {
        headers: { authorization: auth, accept: "application/json" },
      });
      if (!Array.isArray(json)) throw new TransferError("shop_unavailable", "WooCommerce answered without an orders list");
      const orders: unknown[] = json;
      const totalPages = Number(headers.get("x-wp-totalpages") ?? 1);
      const total = headers.get("x-wp-total");
      return { orders, nextCursor: page < totalPages ? String(page + 1) : null, total: total === null ? undefined : Number(total) };
    },
    /** An order's refunds (`GET /orders/{id}/refunds`; an order has few, one page of 100 holds them). */
    async listRefunds(shopOrderId) {
      calls++;
      const url = `${String(ctx.settings.siteUrl).replace(/\/+$/, "")}/wp-json/wc/v3/orders/${encodeURIComponent(shopOrderId)}/refunds?per_page=100`;
      const { json } = await shopFetchJson(ctx.fetch, ctx.env, url, { headers: { authorization: auth, accept: "application/json" } });
      if (!Array.isArray(json)) throw new TransferError("shop_unavailable", "WooCommerce answered without a refunds list");
      return json as unknown[];
    },
  };
}
