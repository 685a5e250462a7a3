import { and, asc, eq, gte, lt, max } from "drizzle-orm";
import type { Db } from "../../db/client";
import { decimalsOf } from "../../domain/currency";
import { formatMinorString } from "../../domain/money";
import { sandboxOrders } from "../../db/schema";
import type { ShopAdapter, ShopClient, ShopContext } from "../types";
import { woocommerceOrder } from "../woocommerce/mapper";

/** The sandbox shop keeps WooCommerce REST v3 shaped orders in D1, so it maps with the same mapper. */
export const sandboxShopAdapter: ShopAdapter = {
  toOrder: (raw) => woocommerceOrder(raw),
  allowedStates: (settings) => (settings.allowedStatuses as string[] | undefined) ?? ["processing", "completed"],
};

export interface DemoOrderInput {
  status?: string;
  email?: string;
  country?: string;
  sku?: string | null;
  quantity?: number;
  /** Unit price excl. VAT, minor units. */
  unitPrice?: number;
  vat?: boolean;
  shipping?: number;
  createdAt?: string;
  /** ISO 4217 code (default DKK); amounts are in its minor units. */
  currency?: string;
}

/** Builds a WooCommerce-shaped demo order (25 % Danish VAT unless vat is false). */
export function demoOrder(id: number, number: number, input: DemoOrderInput, at: string) {
  const currency = (input.currency ?? "DKK").toUpperCase();
  const decimals = decimalsOf(currency);
  const money = (minor: number) => formatMinorString(minor, decimals);
  const qty = input.quantity ?? 2;
  const unit = input.unitPrice ?? 10000;
  const vatOn = input.vat ?? true;
  const lineNet = qty * unit;
  const lineTax = vatOn ? Math.round(lineNet / 4) : 0;
  const ship = input.shipping ?? 3900;
  const shipTax = vatOn ? Math.round(ship / 4) : 0;
  const tax = lineTax + shipTax;
  const created = (input.createdAt ?? at).replace(/\.\d+Z$|Z$/, "");
  const modified = at.replace(/\.\d+Z$|Z$/, "");
  return {
    id,
    number: String(number),
    status: input.status ?? "processing",
    currency,
    prices_include_tax: false,
    date_created_gmt: created,
    date_modified_gmt: modified,
    total: money(lineNet + ship + tax),
    total_tax: money(tax),
    shipping_total: money(ship),
    shipping_tax: money(shipTax),
    billing: {
      first_name: "Demo",
      last_name: "Kunde",
      company: "",
      email: input.email ?? "kunde@example.dk",
      country: input.country ?? "DK",
      address_1: "Testvej 1",
      postcode: "8000",
      city: "Aarhus",
    },
    line_items: [
      {
        id: id * 10 + 1,
        name: "Demo product",
        sku: input.sku === undefined ? "SKU-1" : (input.sku ?? ""),
        quantity: qty,
        price: Number(money(unit)),
        subtotal: money(lineNet),
        subtotal_tax: money(lineTax),
        total: money(lineNet),
        total_tax: money(lineTax),
        taxes: vatOn ? [{ id: 1, total: money(lineTax), subtotal: money(lineTax) }] : [],
      },
    ],
    shipping_lines: ship
      ? [{ id: id * 10 + 2, method_title: "Shipping", total: money(ship), total_tax: money(shipTax), taxes: vatOn ? [{ id: 1, total: money(shipTax) }] : [] }]
      : [],
    fee_lines: [],
    coupon_lines: [],
    tax_lines: vatOn ? [{ id: 1, rate_code: "DK-MOMS-1", rate_id: 1, label: "Moms", rate_percent: 25, tax_total: money(lineTax), shipping_tax_total: money(shipTax) }] : [],
  };
}

/** Creates a demo order in the sandbox shop (numbered max + 1; a concurrent creation takes the next number). */
export async function createSandboxOrder(db: Db, integrationId: string, input: DemoOrderInput = {}) {
  for (let attempt = 0; ; attempt++) {
    const at = new Date().toISOString();
    const last = await db.select({ n: max(sandboxOrders.number) }).from(sandboxOrders).where(eq(sandboxOrders.integrationId, integrationId)).get();
    const number = (last?.n ?? 1000) + 1;
    const id = String(number * 7 + 100000);
    const body = demoOrder(Number(id), number, input, at);
    const inserted = await db
      .insert(sandboxOrders)
      .values({ integrationId, id, number, body, createdAt: input.createdAt ?? at, updatedAt: at })
      .onConflictDoNothing()
      .returning({ id: sandboxOrders.id })
      .get();
    if (inserted) return body;
    if (attempt >= 20) throw new Error("could not number the sandbox order");
  }
}

/** The sandbox shop's order API: its orders in D1 by creation or last change, oldest first; the cursor is an offset. */
export function sandboxShopClient(ctx: ShopContext): ShopClient {
  let calls = 0;
  return {
    calls: () => calls,
    async listOrders(q) {
      calls++;
      const column = q.by === "created" ? sandboxOrders.createdAt : sandboxOrders.updatedAt;
      const offset = Number(q.cursor ?? 0);
      const size = q.pageSize ?? 100;
      const rows = await ctx.db
        .select({ body: sandboxOrders.body })
        .from(sandboxOrders)
        .where(and(eq(sandboxOrders.integrationId, ctx.integrationId), gte(column, q.from), q.to ? lt(column, q.to) : undefined))
        .orderBy(asc(column), asc(sandboxOrders.id))
        .limit(size + 1)
        .offset(offset)
        .all();
      const more = rows.length > size;
      return { orders: rows.slice(0, size).map((r) => r.body), nextCursor: more ? String(offset + size) : null };
    },
  };
}
