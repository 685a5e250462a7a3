/**
 * Fake shop APIs as FetchFns, built from their public documentation (reference.md): Magento 2's REST
 * order search (searchCriteria filters, sort, pageSize/currentPage, total_count; a page past the end
 * answers the last page again), WooCommerce REST v3 orders (modified_after/after exclusive, page/per_page,
 * X-WP-Total/X-WP-TotalPages, basic auth); Shopify's GraphQL Admin API is in shopify.ts. Every request is logged.
 */
import type { FetchFn } from "../../src/lib/outbound";

type Obj = Record<string, any>;

export interface LoggedShopRequest {
  url: URL;
  init?: RequestInit;
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/** Routes by host to the fakes; an unknown host answers 404. `requests` logs every call. */
export function shopRouter() {
  const routes = new Map<string, FetchFn>();
  const requests: LoggedShopRequest[] = [];
  const fetch: FetchFn = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    requests.push({ url, init });
    const route = routes.get(url.host);
    return route ? route(input, init) : new Response("no such shop", { status: 404 });
  };
  return { routes, requests, fetch };
}

const headerOf = (init: RequestInit | undefined, name: string) => new Headers(init?.headers).get(name);

// ---- Magento 2 ----

const mgTime = (iso: string) => iso.slice(0, 19).replace("T", " ");

/** A Magento order (DKK, 25 % VAT) for the sandbox accounting products: 2 × SKU-1 at 100 + shipping 39. */
export function magentoOrder(id: number, o: { createdAt: string; updatedAt?: string; status?: string; sku?: string }) {
  const status = o.status ?? "processing";
  return {
    entity_id: id,
    increment_id: String(100000000 + id),
    created_at: mgTime(o.createdAt),
    updated_at: mgTime(o.updatedAt ?? o.createdAt),
    state: status,
    status,
    order_currency_code: "DKK",
    customer_email: "kunde@example.dk",
    customer_firstname: "Mette",
    customer_lastname: "Magento",
    billing_address: { firstname: "Mette", lastname: "Magento", street: ["Testvej 1"], city: "Aarhus", postcode: "8000", country_id: "DK" },
    items: [{ item_id: id * 10, name: "Demo T-shirt", product_type: "simple", sku: o.sku ?? "SKU-1", qty_ordered: 2, price: 100, row_total: 200, tax_percent: 25, tax_amount: 50 }],
    shipping_amount: 39,
    shipping_tax_amount: 9.75,
    shipping_description: "Shipping",
    tax_amount: 59.75,
    grand_total: 298.75,
  };
}

export function fakeMagento(token = "mg-token") {
  const orders = new Map<number, ReturnType<typeof magentoOrder>>();
  const creditMemos: Obj[] = [];
  const fetch: FetchFn = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (headerOf(init, "authorization") !== `Bearer ${token}`) return json({ message: "The consumer isn't authorized to access %resources." }, 401);
    const q = url.searchParams;
    if (url.pathname === "/rest/V1/creditmemos") {
      // salesCreditmemoRepositoryV1 getList: searchCriteria filters, here on order_id.
      const f = "searchCriteria[filter_groups][0][filters][0]";
      if (q.get(`${f}[field]`) !== "order_id") return json({ message: "The search criteria need a filter on order_id in this fake." }, 400);
      const items = creditMemos.filter((m) => String(m.order_id) === q.get(`${f}[value]`));
      return json({ items, search_criteria: {}, total_count: items.length });
    }
    if (url.pathname !== "/rest/V1/orders") return json({ message: "Request does not match any route." }, 404);
    const filters: { field: string; value: string; condition: string }[] = [];
    for (let g = 0; q.has(`searchCriteria[filter_groups][${g}][filters][0][field]`); g++) {
      const f = `searchCriteria[filter_groups][${g}][filters][0]`;
      filters.push({ field: q.get(`${f}[field]`)!, value: q.get(`${f}[value]`)!, condition: q.get(`${f}[condition_type]`) ?? "eq" });
    }
    const sortField = q.get("searchCriteria[sortOrders][0][field]") ?? "entity_id";
    const matching = [...orders.values()]
      .filter((o) =>
        filters.every(({ field, value, condition }) => {
          const v = String((o as Obj)[field]);
          return condition === "gteq" ? v >= value : condition === "lt" ? v < value : condition === "gt" ? v > value : v === value;
        }),
      )
      .sort((a, b) => String((a as Obj)[sortField]).localeCompare(String((b as Obj)[sortField])) || a.entity_id - b.entity_id);
    const pageSize = Number(q.get("searchCriteria[pageSize]") ?? 20);
    const lastPage = Math.max(1, Math.ceil(matching.length / pageSize));
    const page = Math.min(Number(q.get("searchCriteria[currentPage]") ?? 1), lastPage);
    return json({
      items: matching.slice((page - 1) * pageSize, page * pageSize),
      search_criteria: { filter_groups: [], page_size: pageSize, current_page: page },
      total_count: matching.length,
    });
  };
  /**
   * Refunds `qty` of the order's first item (and the shipping when `shipping`) as a credit memo, as the
   * admin's "Credit Memo" does: the order's total_refunded grows and its updated_at moves.
   */
  const refund = (orderId: number, o: { qty: number; shipping?: boolean; adjustment?: number; at: string }) => {
    const order = orders.get(orderId)! as Obj;
    const item = order.items[0];
    const perUnit = item.row_total / item.qty_ordered;
    const taxPerUnit = item.tax_amount / item.qty_ordered;
    const memo = {
      entity_id: 900 + creditMemos.length + 1,
      order_id: orderId,
      created_at: mgTime(o.at),
      order_currency_code: order.order_currency_code,
      items: [{ order_item_id: item.item_id, sku: item.sku, name: item.name, qty: o.qty, price: item.price, row_total: perUnit * o.qty, tax_amount: taxPerUnit * o.qty, discount_amount: 0 }],
      shipping_amount: o.shipping ? order.shipping_amount : 0,
      shipping_tax_amount: o.shipping ? order.shipping_tax_amount : 0,
      adjustment_positive: o.adjustment ?? 0,
      adjustment_negative: 0,
    } as Obj;
    memo.grand_total = memo.items[0].row_total + memo.items[0].tax_amount + memo.shipping_amount + memo.shipping_tax_amount + memo.adjustment_positive;
    creditMemos.push(memo);
    order.total_refunded = Number(order.total_refunded ?? 0) + memo.grand_total;
    order.updated_at = mgTime(o.at);
    return memo;
  };
  return { orders, creditMemos, refund, fetch, put: (o: ReturnType<typeof magentoOrder>) => orders.set(o.entity_id, o) };
}

// ---- WooCommerce ----

export function fakeWooCommerce(consumerKey = "ck_x", consumerSecret = "cs_x") {
  const orders = new Map<number, Obj>();
  /** Refunds per order id, as `GET /orders/{id}/refunds` gives them (newest first, negative line amounts). */
  const refunds = new Map<number, Obj[]>();
  const fetch: FetchFn = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (headerOf(init, "authorization") !== `Basic ${btoa(`${consumerKey}:${consumerSecret}`)}`)
      return json({ code: "woocommerce_rest_cannot_view", message: "Sorry, you cannot list resources.", data: { status: 401 } }, 401);
    const refundsOf = /^\/wp-json\/wc\/v3\/orders\/(\d+)\/refunds$/.exec(url.pathname);
    if (refundsOf) {
      const id = Number(refundsOf[1]);
      if (!orders.has(id)) return json({ code: "woocommerce_rest_shop_order_invalid_id", message: "Invalid order ID.", data: { status: 404 } }, 404);
      const perPage = Number(url.searchParams.get("per_page") ?? 10);
      if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) return json({ code: "rest_invalid_param", message: "Invalid parameter(s): per_page", data: { status: 400 } }, 400);
      const list = [...(refunds.get(id) ?? [])].reverse();
      return json(list.slice(0, perPage), 200, { "x-wp-total": String(list.length), "x-wp-totalpages": String(Math.ceil(list.length / perPage)) });
    }
    if (url.pathname !== "/wp-json/wc/v3/orders") return json({ code: "rest_no_route", message: "No route was found", data: { status: 404 } }, 404);
    const q = url.searchParams;
    const bound = (name: string, field: string, test: (v: string, b: string) => boolean) => (o: Obj) => !q.has(name) || test(String(o[field]), q.get(name)!);
    const tests = [
      bound("after", "date_created_gmt", (v, b) => v > b),
      bound("before", "date_created_gmt", (v, b) => v < b),
      bound("modified_after", "date_modified_gmt", (v, b) => v > b),
      bound("modified_before", "date_modified_gmt", (v, b) => v < b),
    ];
    const matching = [...orders.values()].filter((o) => tests.every((t) => t(o))).sort((a, b) => a.date_created_gmt.localeCompare(b.date_created_gmt) || a.id - b.id);
    const perPage = Number(q.get("per_page") ?? 10);
    const page = Number(q.get("page") ?? 1);
    const totalPages = Math.ceil(matching.length / perPage);
    return json(matching.slice((page - 1) * perPage, page * perPage), 200, { "x-wp-total": String(matching.length), "x-wp-totalpages": String(totalPages) });
  };
  /** Adds a refund to a stored order: the order lists it as `{id, reason, total}` (negative) as WooCommerce does. */
  const refund = (orderId: number, r: Obj) => {
    refunds.set(orderId, [...(refunds.get(orderId) ?? []), r]);
    const o = orders.get(orderId)!;
    o.refunds = [...(o.refunds ?? []), { id: r.id, reason: r.reason ?? "", total: `-${r.amount}` }];
    return o;
  };
  return { orders, refunds, fetch, put: (o: Obj) => orders.set(o.id, o), refund };
}

// ---- Shopify GraphQL Admin API ----

/** A Shopify GraphQL order node (DKK, 25 % VAT, taxes not included): 2 × SKU-1 at 100 + shipping 39. */
export function shopifyOrderNode(id: number, o: { createdAt: string; updatedAt?: string; financialStatus?: string }) {
  const money = (amount: string) => ({ shopMoney: { amount, currencyCode: "DKK" } });
  return {
    id: `gid://shopify/Order/${id}`,
    name: `#${id - 5000000}`,
    email: "kunde@example.dk",
    note: null,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt ?? o.createdAt,
    cancelledAt: null,
    displayFinancialStatus: o.financialStatus ?? "PAID",
    currencyCode: "DKK",
    taxesIncluded: false,
    totalPriceSet: money("298.75"),
    totalTaxSet: money("59.75"),
    totalTipReceivedSet: money("0.0"),
    billingAddress: { name: "Sofie Shopify", firstName: "Sofie", lastName: "Shopify", company: null, address1: "Testvej 1", address2: null, zip: "8000", city: "Aarhus", countryCodeV2: "DK" },
    shippingAddress: null,
    lineItems: {
      pageInfo: { hasNextPage: false, endCursor: null },
      nodes: [
        {
          sku: "SKU-1",
          name: "Demo T-shirt",
          quantity: 2,
          originalUnitPriceSet: money("100.00"),
          taxLines: [{ priceSet: money("50.00"), rate: 0.25, title: "Moms" }],
          discountAllocations: [],
        },
      ],
    },
    shippingLines: { nodes: [{ title: "Shipping", code: "standard", originalPriceSet: money("39.00"), discountedPriceSet: money("39.00"), taxLines: [{ priceSet: money("9.75"), rate: 0.25, title: "Moms" }] }] },
  };
}

export { fakeShopify } from "./shopify";
