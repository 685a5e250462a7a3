/**
 * Shopify orders through the GraphQL Admin API (REST is legacy), converted to the REST-shaped order
 * JSON that webhooks send, so one mapper (shopifyOrder) reads both.
 *
 * Page sizes follow the cost limit: a single query may request at most 1,000 points, and a nested
 * connection multiplies (orders × line items), so a page is a few orders with up to 20 lines each
 * (≈ 940 points); an order with more lines has the rest fetched separately. Throttling is cost-based:
 * a THROTTLED answer becomes shop_unavailable with the wait the bucket needs (Retry-After style).
 */
import { TransferError } from "../../domain/errors";
import { shopFetchJson } from "../../lib/shop-fetch";
import type { ShopClient, ShopContext, ShopOrderQuery } from "../types";

export const SHOPIFY_API_VERSION = "2026-01";
const ORDERS_PER_PAGE = 4;
const LINES_PER_ORDER = 20;
const MORE_LINES_PER_PAGE = 100;

/** Both figures of a MoneyBag: the shop's currency and the customer's (R24, documentCurrency). */
const MONEY = "shopMoney { amount } presentmentMoney { amount }";
const TAX_LINES = `taxLines { priceSet { ${MONEY} } rate title }`;
const LINE_ITEM = `sku name quantity originalUnitPriceSet { ${MONEY} } ${TAX_LINES} discountAllocations { allocatedAmountSet { ${MONEY} } }`;
const ADDRESS = "name firstName lastName company address1 address2 zip city countryCodeV2";

export function ordersQuery(by: ShopOrderQuery["by"]) {
  return `query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: ${by === "created" ? "CREATED_AT" : "UPDATED_AT"}) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name email note createdAt updatedAt cancelledAt displayFinancialStatus currencyCode presentmentCurrencyCode taxesIncluded
      totalPriceSet { ${MONEY} } totalTaxSet { ${MONEY} } totalTipReceivedSet { ${MONEY} }
      billingAddress { ${ADDRESS} } shippingAddress { ${ADDRESS} }
      lineItems(first: ${LINES_PER_ORDER}) { pageInfo { hasNextPage endCursor } nodes { ${LINE_ITEM} } }
      shippingLines(first: 5) { nodes { title code originalPriceSet { ${MONEY} } discountedPriceSet { ${MONEY} } ${TAX_LINES} } }
    }
  }
}`;
}

const MORE_LINES = `query MoreLines($id: ID!, $after: String) {
  order(id: $id) { lineItems(first: ${MORE_LINES_PER_PAGE}, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${LINE_ITEM} } } }
}`;

/** Shopify's search syntax for the range, e.g. `updated_at:>='2026-01-01T00:00:00Z' updated_at:<'…'`. */
export function searchQuery(q: ShopOrderQuery) {
  const field = q.by === "created" ? "created_at" : "updated_at";
  const iso = (t: string) => new Date(t).toISOString().replace(/\.\d+Z$/, "Z");
  return [`${field}:>='${iso(q.from)}'`, q.to ? `${field}:<'${iso(q.to)}'` : null].filter(Boolean).join(" ");
}

type Obj = Record<string, any>;
type Page<T> = { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: T[] };

const amount = (set: Obj | null | undefined) => set?.shopMoney?.amount ?? null;
/** A GraphQL MoneyBag as the REST `*_set` field: `{shop_money: {amount}, presentment_money: {amount}}`. */
const moneySet = (set: Obj | null | undefined) =>
  set ? { shop_money: { amount: set.shopMoney?.amount ?? null }, presentment_money: { amount: set.presentmentMoney?.amount ?? set.shopMoney?.amount ?? null } } : null;
/** A REST money field and its `_set` twin, e.g. `price` and `price_set`. */
const money = (key: string, set: Obj | null | undefined) => ({ [key]: amount(set), [`${key}_set`]: moneySet(set) });
const taxLines = (lines: Obj[] | null | undefined) => (lines ?? []).map((t) => ({ ...money("price", t.priceSet), rate: t.rate, title: t.title }));
const address = (a: Obj | null | undefined) =>
  a && { name: a.name, first_name: a.firstName, last_name: a.lastName, company: a.company, address1: a.address1, address2: a.address2, zip: a.zip, city: a.city, country_code: a.countryCodeV2 };
const lineItem = (l: Obj) => ({
  sku: l.sku,
  name: l.name,
  quantity: l.quantity,
  ...money("price", l.originalUnitPriceSet),
  tax_lines: taxLines(l.taxLines),
  discount_allocations: (l.discountAllocations ?? []).map((d: Obj) => money("amount", d.allocatedAmountSet)),
});

/** A GraphQL order node → the REST-shaped order JSON of webhooks (the fields shopifyOrder reads). */
export function restOrder(n: Obj, lines: Obj[]) {
  const numericId = String(n.id).split("/").pop()!;
  return {
    id: /^\d+$/.test(numericId) ? Number(numericId) : numericId,
    admin_graphql_api_id: n.id,
    name: n.name,
    email: n.email,
    note: n.note,
    created_at: n.createdAt,
    updated_at: n.updatedAt,
    cancelled_at: n.cancelledAt,
    financial_status: typeof n.displayFinancialStatus === "string" ? n.displayFinancialStatus.toLowerCase() : null,
    currency: n.currencyCode,
    presentment_currency: n.presentmentCurrencyCode ?? n.currencyCode,
    taxes_included: n.taxesIncluded,
    ...money("total_price", n.totalPriceSet),
    ...money("total_tax", n.totalTaxSet),
    ...money("total_tip_received", n.totalTipReceivedSet),
    billing_address: address(n.billingAddress),
    shipping_address: address(n.shippingAddress),
    line_items: lines.map(lineItem),
    shipping_lines: (n.shippingLines?.nodes ?? []).map((s: Obj) => ({
      title: s.title,
      code: s.code,
      ...money("price", s.originalPriceSet),
      ...money("discounted_price", s.discountedPriceSet),
      tax_lines: taxLines(s.taxLines),
    })),
  };
}

export function shopifyClient(ctx: ShopContext): ShopClient {
  let calls = 0;
  const origin = ctx.env.SHOPIFY_ADMIN_ORIGIN || `https://${ctx.settings.shopDomain}`;
  const url = `${origin.replace(/\/+$/, "")}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`;

  async function graphql(query: string, variables: Record<string, unknown>): Promise<Obj> {
    calls++;
    const { json } = await shopFetchJson(ctx.fetch, ctx.env, url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", "x-shopify-access-token": String(ctx.settings.accessToken) },
      body: JSON.stringify({ query, variables }),
    });
    const body = json as Obj;
    const errors: Obj[] = Array.isArray(body?.errors) ? body.errors : [];
    if (errors.some((e) => e?.extensions?.code === "THROTTLED")) {
      const cost = body.extensions?.cost ?? {};
      const status = cost.throttleStatus ?? {};
      const missing = Number(cost.requestedQueryCost ?? 0) - Number(status.currentlyAvailable ?? 0);
      const wait = Number(status.restoreRate) > 0 ? Math.ceil(Math.max(1, missing) / Number(status.restoreRate)) : 10;
      throw new TransferError("shop_unavailable", "Shopify throttled the request (query cost)", { retryAfterSeconds: wait });
    }
    if (errors.length || !body?.data)
      throw new TransferError("shop_unavailable", `Shopify refused the query: ${errors.map((e) => e?.message).join("; ").slice(0, 300) || "no data"}`);
    return body.data;
  }

  async function allLines(order: Obj): Promise<Obj[]> {
    const lines: Obj[] = [...(order.lineItems?.nodes ?? [])];
    let page: Page<Obj> = order.lineItems;
    while (page?.pageInfo?.hasNextPage) {
      page = (await graphql(MORE_LINES, { id: order.id, after: page.pageInfo.endCursor })).order.lineItems;
      lines.push(...page.nodes);
    }
    return lines;
  }

  return {
    calls: () => calls,
    async listOrders(q) {
      const data = await graphql(ordersQuery(q.by), { first: Math.min(q.pageSize ?? ORDERS_PER_PAGE, ORDERS_PER_PAGE), after: q.cursor ?? null, query: searchQuery(q) });
      const page: Page<Obj> | undefined = data.orders;
      if (!page || !Array.isArray(page.nodes)) throw new TransferError("shop_unavailable", "Shopify answered without an orders list");
      const orders = [];
      for (const node of page.nodes) orders.push(restOrder(node, await allLines(node)));
      return { orders, nextCursor: page.pageInfo?.hasNextPage ? page.pageInfo.endCursor : null };
    },
  };
}
