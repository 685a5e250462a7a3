/**
 * Shopify orders through the GraphQL Admin API (REST is legacy), converted to the REST-shaped order
 * JSON that webhooks send, so one mapper (shopifyOrder) reads both.
 *
 * Page sizes follow the cost limit: a single query may request at most 1,000 points, and a nested
 * connection multiplies (orders × line items), so a page is a few orders with up to 20 lines each
 * (≈ 940 points); an order with more lines has the rest fetched separately. Throttling is cost-based:
 * every query first takes its requested cost from the shop's budget (one limiter per shop, shared by
 * every caller: 2,000 points, 100 points/s, as Shopify's own bucket), and a THROTTLED answer is waited
 * out in place ((requested − available) / restoreRate) when that is short; otherwise it becomes
 * shop_unavailable with that wait (Retry-After style), so the queue comes back then.
 *
 * Imports read with a bulk operation instead (bulkOperationRunQuery, reference-wave2.md §8): the same
 * order fields, the result a JSONL file read as a stream, grouped (groupObjects: true) so each order's
 * line items and shipping lines follow it directly and an order is complete when the next one begins.
 */
import { TransferError } from "../../domain/errors";
import { sleep, spendBudget } from "../../lib/rate-limiter";
import { jsonLines, shopFetchJson, shopFetchStream } from "../http/shop-fetch";
import type { BulkOperationState, BulkRead, ShopClient, ShopContext, ShopOrderQuery } from "../types";
import type { BucketLimits } from "../../domain/token-bucket";
import { shopifyAccessToken } from "./token";

export const SHOPIFY_API_VERSION = "2026-01";
const ORDERS_PER_PAGE = 2;
const LINES_PER_ORDER = 15;
/** Refunds per order in a page (more come from a bulk export); their lines and shipping lines. */
const REFUNDS_PER_ORDER = 2;
const REFUND_LINES = 10;
const REFUND_SHIPPING_LINES = 2;
/** Line items per follow-up query: 2 + 80 × 12 points stays under the 1,000 a single query may request. */
const MORE_LINES_PER_PAGE = 80;
const SHIPPING_LINES = 5;

/** Shopify's query-cost bucket per shop (standard plans): 2,000 points, refilled at 100 points a second. */
export const SHOPIFY_LIMITS: BucketLimits = { capacity: 2000, refillPerSecond: 100 };
/** The most a single query may request. */
export const SHOPIFY_MAX_QUERY_COST = 1000;
/** How long a caller in the queue waits in place for the budget; a longer wait goes back to the queue. */
const QUEUE_MAX_WAIT_MS = 10_000;
/** Waits in place for THROTTLED answers before giving up for now. */
const THROTTLE_RETRIES = 3;

/**
 * Shopify's requested cost of a query (shopify.dev/docs/api/usage/limits#cost-calculation): an object 1,
 * a connection 2 + first × its node. Every MoneyBag reads two amounts (shop and presentment money, R24): a line
 * item node reads 11 objects, a shipping line 10, an order 14 outside its connections.
 */
export const lineItemsCost = (first: number) => 2 + first * 12;
/** A refund: 1 + its total (3) + refund lines (2 + n × 8) + refund shipping lines (2 + n × 7); a list with `first` counts like a connection. */
const refundsCost = (first: number) => first * (4 + 2 + REFUND_LINES * 8 + 2 + REFUND_SHIPPING_LINES * 7);
export const ordersPageCost = (first: number, lines = LINES_PER_ORDER, shipping = SHIPPING_LINES) =>
  2 + first * (15 + lineItemsCost(lines) + (2 + shipping * 11) + refundsCost(REFUNDS_PER_ORDER));

/** Both figures of a MoneyBag: the shop's currency and the customer's (R24, documentCurrency). */
const MONEY = "shopMoney { amount } presentmentMoney { amount }";
const TAX_LINES = `taxLines { priceSet { ${MONEY} } rate title }`;
const LINE_ITEM = `sku name quantity originalUnitPriceSet { ${MONEY} } ${TAX_LINES} discountAllocations { allocatedAmountSet { ${MONEY} } }`;
const ADDRESS = "name firstName lastName company address1 address2 zip city countryCodeV2";

const ORDER_FIELDS = `id name email note createdAt updatedAt cancelledAt displayFinancialStatus currencyCode presentmentCurrencyCode taxesIncluded
      totalPriceSet { ${MONEY} } totalTaxSet { ${MONEY} } totalTipReceivedSet { ${MONEY} }
      billingAddress { ${ADDRESS} } shippingAddress { ${ADDRESS} }`;
const SHIPPING_LINE = `title code originalPriceSet { ${MONEY} } discountedPriceSet { ${MONEY} } ${TAX_LINES}`;
/** A refund's own fields; its lines and shipping lines are connections (paged query and bulk export differ). */
const REFUND = `id createdAt totalRefundedSet { ${MONEY} }`;
const REFUND_LINE = `quantity subtotalSet { ${MONEY} } totalTaxSet { ${MONEY} } lineItem { id sku name }`;
const REFUND_SHIPPING_LINE = `subtotalAmountSet { ${MONEY} } taxAmountSet { ${MONEY} }`;
const PAGED_REFUNDS = `refunds(first: ${REFUNDS_PER_ORDER}) { ${REFUND}
        refundLineItems(first: ${REFUND_LINES}) { nodes { ${REFUND_LINE} } }
        refundShippingLines(first: ${REFUND_SHIPPING_LINES}) { nodes { ${REFUND_SHIPPING_LINE} } } }`;
const sortKey = (by: ShopOrderQuery["by"]) => (by === "created" ? "CREATED_AT" : "UPDATED_AT");

export function ordersQuery(by: ShopOrderQuery["by"]) {
  return `query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: ${sortKey(by)}) {
    pageInfo { hasNextPage endCursor }
    nodes {
      ${ORDER_FIELDS}
      lineItems(first: ${LINES_PER_ORDER}) { pageInfo { hasNextPage endCursor } nodes { ${LINE_ITEM} } }
      shippingLines(first: ${SHIPPING_LINES}) { nodes { ${SHIPPING_LINE} } }
      ${PAGED_REFUNDS}
    }
  }
}`;
}

/** The bulk operation's query: the same order fields as a page, every line item and shipping line. */
export function bulkOrdersQuery(q: ShopOrderQuery) {
  return `{
  orders(query: ${JSON.stringify(searchQuery(q))}, sortKey: ${sortKey(q.by)}) {
    edges { node {
      ${ORDER_FIELDS}
      lineItems { edges { node { __typename ${LINE_ITEM} } } }
      shippingLines { edges { node { __typename ${SHIPPING_LINE} } } }
      refunds { ${REFUND}
        refundLineItems { edges { node { __typename ${REFUND_LINE} } } }
        refundShippingLines { edges { node { __typename ${REFUND_SHIPPING_LINE} } } } }
    } }
  }
}`;
}

const RUN_BULK = `mutation RunBulk($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: true) { bulkOperation { id status } userErrors { field message code } }
}`;
const BULK_STATUS = `query Bulk($id: ID!) { bulkOperation(id: $id) { id status errorCode url partialDataUrl objectCount rootObjectCount } }`;
const BULK_MUTATION_COST = 10;
const BULK_STATUS_COST = 1;

const MORE_LINES_COST = 1 + lineItemsCost(MORE_LINES_PER_PAGE);
const ORDER_BY_ID = `query OrderById($id: ID!) {
  order(id: $id) {
    ${ORDER_FIELDS}
    lineItems(first: ${LINES_PER_ORDER}) { pageInfo { hasNextPage endCursor } nodes { ${LINE_ITEM} } }
    shippingLines(first: ${SHIPPING_LINES}) { nodes { ${SHIPPING_LINE} } }
    ${PAGED_REFUNDS}
  }
}`;
const ORDER_BY_ID_COST = ordersPageCost(1) - 2;

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

const nodesOf = (c: Obj | null | undefined): Obj[] => c?.nodes ?? c?.edges?.map((e: Obj) => e.node) ?? [];
const numericId = (gid: unknown) => {
  const id = String(gid ?? "").split("/").pop()!;
  return /^\d+$/.test(id) ? Number(id) : id;
};

/**
 * A GraphQL refund → the REST refund of the order JSON (what shopifyRefunds reads): its lines, shipping
 * lines, and what it gave back in all as one successful refund transaction in the shop's currency.
 */
const restRefund = (r: Obj, shopCurrency: string) => ({
  id: numericId(r.id),
  created_at: r.createdAt,
  processed_at: r.createdAt,
  refund_line_items: nodesOf(r.refundLineItems).map((l) => ({
    line_item_id: l.lineItem?.id ? numericId(l.lineItem.id) : null,
    quantity: l.quantity,
    ...money("subtotal", l.subtotalSet),
    ...money("total_tax", l.totalTaxSet),
    line_item: l.lineItem ? { sku: l.lineItem.sku, name: l.lineItem.name } : null,
  })),
  refund_shipping_lines: nodesOf(r.refundShippingLines).map((s) => ({ ...money("subtotal_amount", s.subtotalAmountSet), ...money("tax_amount", s.taxAmountSet) })),
  transactions: r.totalRefundedSet ? [{ kind: "refund", status: "success", amount: amount(r.totalRefundedSet), currency: shopCurrency }] : [],
});

/** A GraphQL order node → the REST-shaped order JSON of webhooks (the fields shopifyOrder reads). */
export function restOrder(n: Obj, lines: Obj[]) {
  return {
    id: numericId(n.id),
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
    refunds: (Array.isArray(n.refunds) ? n.refunds : []).map((r: Obj) => restRefund(r, n.currencyCode)),
    shipping_lines: nodesOf(n.shippingLines).map((s: Obj) => ({
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

  const budgetKey = `shopify:${String(ctx.settings.shopDomain).toLowerCase()}`;
  const maxWaitMs = ctx.maxWaitMs ?? QUEUE_MAX_WAIT_MS;
  const throttled = (seconds: number) =>
    new TransferError("shop_unavailable", "Shopify's query budget for this shop is used up for a moment; reading goes on automatically", { retryAfterSeconds: seconds });

  /** One query under the shop's budget; THROTTLED answers are waited out in place when short. */
  async function graphql(query: string, variables: Record<string, unknown>, cost: number): Promise<Obj> {
    for (let attempt = 0; ; attempt++) {
      const comeBack = await spendBudget(ctx.env, budgetKey, cost, SHOPIFY_LIMITS, maxWaitMs);
      if (comeBack) throw throttled(comeBack);
      calls++;
      const { json } = await shopFetchJson(ctx.fetch, ctx.env, url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", "x-shopify-access-token": await shopifyAccessToken(ctx) },
        body: JSON.stringify({ query, variables }),
      });
      const body = json as Obj;
      const errors: Obj[] = Array.isArray(body?.errors) ? body.errors : [];
      if (errors.some((e) => e?.extensions?.code === "THROTTLED")) {
        const waitMs = throttleWaitMs(body.extensions?.cost, cost);
        if (waitMs <= maxWaitMs && attempt < THROTTLE_RETRIES) {
          await sleep(waitMs);
          continue;
        }
        throw throttled(Math.ceil(waitMs / 1000));
      }
      if (errors.length || !body?.data)
        throw new TransferError("shop_unavailable", `Shopify refused the query: ${errors.map((e) => e?.message).join("; ").slice(0, 300) || "no data"}`);
      return body.data;
    }
  }

  async function allLines(order: Obj): Promise<Obj[]> {
    const lines: Obj[] = [...(order.lineItems?.nodes ?? [])];
    let page: Page<Obj> = order.lineItems;
    while (page?.pageInfo?.hasNextPage) {
      page = (await graphql(MORE_LINES, { id: order.id, after: page.pageInfo.endCursor }, MORE_LINES_COST)).order.lineItems;
      lines.push(...page.nodes);
    }
    return lines;
  }

  return {
    calls: () => calls,
    async listOrders(q) {
      const first = Math.min(q.pageSize ?? ORDERS_PER_PAGE, ORDERS_PER_PAGE);
      const data = await graphql(ordersQuery(q.by), { first, after: q.cursor ?? null, query: searchQuery(q) }, ordersPageCost(first));
      const page: Page<Obj> | undefined = data.orders;
      if (!page || !Array.isArray(page.nodes)) throw new TransferError("shop_unavailable", "Shopify answered without an orders list");
      const orders = [];
      for (const node of page.nodes) orders.push(restOrder(node, await allLines(node)));
      return { orders, nextCursor: page.pageInfo?.hasNextPage ? page.pageInfo.endCursor : null };
    },
    async getOrder(id) {
      const gid = /^\d+$/.test(id) ? `gid://shopify/Order/${id}` : id;
      const node = (await graphql(ORDER_BY_ID, { id: gid }, ORDER_BY_ID_COST)).order as Obj | null;
      return node ? restOrder(node, await allLines(node)) : null;
    },
    bulk: {
      async start(q, resumeAfter) {
        // After a failed or expired export the new one begins at the last order taken (its creation time,
        // inclusive); read() passes over that order and the ones before it.
        const from = resumeAfter ? (JSON.parse(resumeAfter) as ResumeKey).createdAt : q.from;
        const data = await graphql(RUN_BULK, { query: bulkOrdersQuery({ ...q, from }) }, BULK_MUTATION_COST);
        const r = data.bulkOperationRunQuery ?? {};
        const userErrors: Obj[] = r.userErrors ?? [];
        if (userErrors.length || !r.bulkOperation?.id)
          throw new TransferError("shop_unavailable", `Shopify did not start the export of the orders: ${userErrors.map((e) => e.message).join("; ").slice(0, 300) || "no operation"}`, {
            // Another export of this app still running (a limit of five per shop): try again shortly.
            retryAfterSeconds: userErrors.some((e) => /in progress|already/i.test(String(e.message))) ? 30 : undefined,
          });
        return String(r.bulkOperation.id);
      },
      async status(id) {
        const op = (await graphql(BULK_STATUS, { id }, BULK_STATUS_COST)).bulkOperation as Obj | null;
        if (!op) return { status: "EXPIRED", errorCode: null, url: null, rootObjectCount: 0 };
        return { status: op.status, errorCode: op.errorCode ?? null, url: op.url ?? null, rootObjectCount: Number(op.rootObjectCount ?? 0) };
      },
      failure: bulkFailure,
      read: (fileUrl, offset, maxOrders, resumeAfter) => readBulkFile(ctx, fileUrl, offset, maxOrders, resumeAfter),
    },
  };
}

/** The wait a THROTTLED answer asks for: (requested − available) / restoreRate, from `extensions.cost`. */
export function throttleWaitMs(cost: Obj | undefined, fallbackRequested: number) {
  const status = cost?.throttleStatus ?? {};
  const missing = Number(cost?.requestedQueryCost ?? fallbackRequested) - Number(status.currentlyAvailable ?? 0);
  const rate = Number(status.restoreRate);
  return rate > 0 ? Math.ceil((Math.max(1, missing) * 1000) / rate) : 10_000;
}

/** What a bulk operation's status means for an import: a message the merchant can act on. */
export function bulkFailure(op: BulkOperationState): string {
  if (op.errorCode === "ACCESS_DENIED")
    return "Shopify refused the export of the orders (ACCESS_DENIED): the app lacks the read_all_orders permission, so orders older than 60 days are invisible. Grant orderbridge access to all orders in Shopify (reinstall or update the app's permissions), then resume.";
  if (op.status === "EXPIRED")
    return "Shopify's export of the orders has expired (its file is kept for seven days). Resume the import: a new export is started and no order is taken twice.";
  if (op.errorCode === "TIMEOUT")
    return "Shopify's export of the orders took too long and was stopped (TIMEOUT). Resume the import to start a new export, or import a shorter period.";
  return `Shopify's export of the orders ${op.status === "CANCELED" ? "was cancelled" : "failed"}${op.errorCode ? ` (${op.errorCode})` : ""}. Resume the import to start a new export; no order is taken twice.`;
}

/**
 * Reads up to `maxOrders` whole orders from the JSONL file, starting at byte `offset` (the start of an
 * order): the order line, then its line items and shipping lines (`__parentId`). Streams; holds one order.
 * Returns the orders and the offset of the next order (null at the end of the file).
 */
export async function readBulkFile(ctx: Pick<ShopContext, "fetch" | "env">, fileUrl: string, offset: number, maxOrders: number, resumeAfter?: string | null): Promise<BulkRead> {
  const after = resumeAfter ? (JSON.parse(resumeAfter) as ResumeKey) : null;
  let res: Response;
  try {
    res = await shopFetchStream(ctx.fetch, ctx.env, fileUrl, offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {});
  } catch (e) {
    if (!(e instanceof TransferError) || e.retryAfterSeconds !== undefined) throw e;
    throw new TransferError("shop_unavailable", `The file of Shopify's export of the orders could not be read (${e.message}); it may have expired. Resume the import: a new export is started and no order is taken twice.`, {
      details: { bulkFileUnreadable: true },
    });
  }
  // A server that ignores Range sends the whole file: the lines before `offset` are passed over.
  const skipBefore = res.status === 206 ? 0 : offset;
  const orders: unknown[] = [];
  let last: ResumeKey | null = null;
  let current: { node: Obj; lines: Obj[]; shipping: Obj[] } | null = null;
  const finish = () => {
    if (!current) return;
    last = { createdAt: current.node.createdAt, id: orderNumber(current.node.id) };
    if (!after || isAfter(last, after)) orders.push(restOrder({ ...current.node, shippingLines: { nodes: current.shipping } }, current.lines));
  };
  for await (const line of jsonLines(res.body!, { startOffset: res.status === 206 ? offset : 0 })) {
    if (line.start < skipBefore) continue;
    const obj = line.value as Obj;
    if (obj.__parentId === undefined) {
      finish();
      current = null;
      if (orders.length >= maxOrders) return { orders, nextOffset: line.start, resumeKey: JSON.stringify(last) };
      current = { node: obj, lines: [], shipping: [] };
      continue;
    }
    const { __parentId, __typename, ...child } = obj;
    // A refund's lines follow the order too, as children of the refund (a list on the order line).
    const refund = current && __parentId !== current.node.id ? (current.node.refunds as Obj[] | undefined)?.find((r) => r.id === __parentId) : undefined;
    if (!current || (__parentId !== current.node.id && !refund))
      throw new TransferError("shop_unavailable", "Shopify's export of the orders is not grouped by order (a line item without its order before it)");
    if (refund) {
      const key = __typename === "RefundShippingLine" ? "refundShippingLines" : "refundLineItems";
      (refund[key] ??= { nodes: [] }).nodes.push(child);
    } else (__typename === "ShippingLine" ? current.shipping : current.lines).push(child);
  }
  finish();
  return { orders, nextOffset: null, resumeKey: last ? JSON.stringify(last) : resumeAfter ?? null };
}

/** Where a new export resumes: the last order taken (creation time, then id: the export's order). */
interface ResumeKey {
  createdAt: string;
  id: number;
}
const orderNumber = (gid: string) => Number(numericId(gid));
const isAfter = (a: ResumeKey, b: ResumeKey) => Date.parse(a.createdAt) > Date.parse(b.createdAt) || (Date.parse(a.createdAt) === Date.parse(b.createdAt) && a.id > b.id);
