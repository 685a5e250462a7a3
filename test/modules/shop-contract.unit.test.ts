/**
 * The contract every shop module passes: a new shop gets these tests by being in the module list
 * (src/modules/index.ts) and giving a sample order here.
 */
import { describe, expect, it } from "vitest";
import { shopModules } from "../../src/modules";
import { demoOrder } from "../../src/modules/sandbox/shop";
import magentoDk from "../fixtures/magento/own-dk-25-configurable-discount.json";
import shopifyDk from "../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";
import wooDk from "../fixtures/woocommerce/own-dk-25-coupon-free-shipping.json";

const samples: Record<string, Record<string, unknown>> = {
  shopify: shopifyDk,
  woocommerce: wooDk,
  magento: magentoDk,
  sandbox: demoOrder(900001, 4242, {}, "2026-03-01T10:00:00Z"),
};

const headers = (h: Record<string, string>) => ({ header: (name: string) => h[name.toLowerCase()] });

describe.each(Object.values(shopModules))("shop module $id", (m) => {
  const sample = samples[m.id];

  it("has a sample order in this contract test", () => expect(sample, `add a sample order for ${m.id}`).toBeDefined());

  it("maps its sample to a canonical order whose totals add up", () => {
    const order = m.behaviour.toOrder(sample, {});
    expect(order.shopOrderId).toBeTruthy();
    expect(order.totals.net + order.totals.vat).toBe(order.totals.gross);
    expect(m.behaviour.allowedStates({}).length).toBeGreaterThan(0);
  });

  it("identifies an order its mapper cannot read by the same id and number", () => {
    const order = m.behaviour.toOrder(sample, {});
    expect(m.behaviour.identify({ ...sample, line_items: "broken", items: "broken" })).toEqual({ shopOrderId: order.shopOrderId, orderNumber: order.orderNumber });
    expect(m.behaviour.identify({ note: "no id" })).toBeNull();
    expect(m.behaviour.identify("not an object")).toBeNull();
  });

  it.runIf(m.delivery === "webhook")("verifies webhooks: a signature header, topics it takes, a stable duplicate key", async () => {
    const w = m.webhook!;
    expect(w, "a webhook shop needs a webhook verifier").toBeDefined();
    expect(w.signature(headers({}))).toBeUndefined();
    expect(w.topic(headers({}))).toBeNull();
    const text = JSON.stringify(sample);
    const anyHeaders = headers({ "x-shopify-event-id": "ev-1", "x-shopify-topic": "orders/create", "x-wc-webhook-topic": "order.created" });
    expect(await w.dedupeKey(anyHeaders, sample, text)).toBe(await w.dedupeKey(anyHeaders, sample, text));
    expect(w.topic(anyHeaders)).toMatchObject({ isUpdate: false });
  });
});
