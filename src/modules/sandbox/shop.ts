import { and, asc, eq, gte, lt, max } from "drizzle-orm";
import type { Db } from "../../db/client";
import { decimalsOf } from "../../domain/currency";
import { formatMinorString } from "../../domain/money";
import { sandboxOrders } from "../../db/schema";
import type { DemoOrderInput, DemoRefundInput, ShopAdapter, ShopClient, ShopContext } from "../types";
import { woocommerceAdapter, woocommerceOrder } from "../woocommerce/mapper";

/** The sandbox shop keeps WooCommerce REST v3 shaped orders in D1, so it maps with the same mapper. */
export const sandboxShopAdapter: ShopAdapter = {
  toOrder: (raw) => woocommerceOrder(raw),
  allowedStates: (settings) => (settings.allowedStatuses as string[] | undefined) ?? ["processing", "completed"],
  identify: woocommerceAdapter.identify,
};

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

type WooLine = { id: number; name: string; sku: string; quantity: number; total: string; total_tax: string };
type WooRefund = { id: number; amount: string; line_items: { quantity: number; meta_data: { key: string; value: string }[] }[]; shipping_lines: unknown[] };

/**
 * Refunds a demo order in part or in full, as WooCommerce records a refund (negative line amounts, the
 * refund kept whole in the order JSON of the sandbox shop), and marks the order changed so the next poll
 * takes it in. Null when the order does not exist; a string saying why when the refund gives back more
 * than is left.
 */
export async function refundSandboxOrder(db: Db, integrationId: string, orderId: string, input: DemoRefundInput): Promise<Record<string, unknown> | string | null> {
  const row = await db.select().from(sandboxOrders).where(and(eq(sandboxOrders.integrationId, integrationId), eq(sandboxOrders.id, orderId))).get();
  if (!row) return null;
  const body = row.body as Record<string, unknown> & { currency: string; line_items: WooLine[]; shipping_lines: { id: number; total: string; total_tax: string }[]; refunds?: WooRefund[] };
  const decimals = decimalsOf(body.currency);
  const minor = (s: string) => Math.round(Number(s) * 10 ** decimals);
  const money = (m: number) => formatMinorString(m, decimals);
  const refunds = body.refunds ?? [];
  const line = body.line_items[0];
  const refundedQty = refunds.reduce((s, r) => s + r.line_items.reduce((q, l) => q - l.quantity, 0), 0);
  const shippingRefunded = refunds.some((r) => r.shipping_lines.length > 0);
  const whole = input.quantity === undefined && input.shipping === undefined && input.amount === undefined;
  const qty = input.quantity ?? (whole ? line.quantity - refundedQty : 0);
  const withShipping = (input.shipping ?? whole) && body.shipping_lines.length > 0 && !shippingRefunded;
  if (qty > line.quantity - refundedQty) return `only ${line.quantity - refundedQty} of the line are left to refund`;
  if (input.shipping && shippingRefunded) return "the shipping is refunded already";
  const unitNet = minor(line.total) / line.quantity;
  const unitTax = minor(line.total_tax) / line.quantity;
  const lineNet = Math.round(unitNet * qty);
  const lineTax = Math.round(unitTax * qty);
  const ship = withShipping ? body.shipping_lines[0] : null;
  const shipGross = ship ? minor(ship.total) + minor(ship.total_tax) : 0;
  const gross = lineNet + lineTax + shipGross + (input.amount ?? 0);
  const paid = minor(String(body.total));
  const before = refunds.reduce((s, r) => s + minor(r.amount), 0);
  if (gross <= 0) return "nothing to refund";
  if (before + gross > paid) return `only ${money(paid - before)} ${body.currency} is left to refund`;
  // WooCommerce times have whole seconds: the change is at least a second after the last, so a poll sees a newer version.
  const lastChange = Date.parse(`${String(body.date_modified_gmt)}Z`);
  const at = new Date(Math.max(Date.now(), Number.isNaN(lastChange) ? 0 : lastChange + 1000)).toISOString();
  const refund = {
    id: Number(orderId) * 100 + refunds.length + 1,
    date_created_gmt: at.slice(0, 19),
    amount: money(gross),
    reason: "Demo refund",
    line_items: qty
      ? [{ id: line.id * 100 + refunds.length + 1, name: line.name, sku: line.sku, quantity: -qty, total: money(-lineNet), total_tax: money(-lineTax), meta_data: [{ key: "_refunded_item_id", value: String(line.id) }] }]
      : [],
    shipping_lines: ship ? [{ id: ship.id * 100 + refunds.length + 1, total: money(-minor(ship.total)), total_tax: money(-minor(ship.total_tax)) }] : [],
  };
  const fully = before + gross === paid;
  const updated = { ...body, refunds: [...refunds, refund], status: fully ? "refunded" : body.status, date_modified_gmt: at.slice(0, 19) };
  await db.update(sandboxOrders).set({ body: updated, updatedAt: at }).where(and(eq(sandboxOrders.integrationId, integrationId), eq(sandboxOrders.id, orderId)));
  return refund;
}
