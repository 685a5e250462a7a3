import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { demoOrder } from "../../src/modules/sandbox/shop";
import { activate, call, createIntegration, createTenant, ledgerRows, postWoo, sandboxDocuments, waitForOrder } from "../helpers";

const SECRET = "woo-webhook-secret";

async function wooIntegration(active = true) {
  const t = await createTenant();
  const i = await createIntegration(t.id, {
    shop: { module: "woocommerce", settings: { siteUrl: "https://shop.example.com", consumerKey: "ck_x", consumerSecret: "cs_x", webhookSecret: SECRET } },
    accounting: { module: "sandbox", settings: {} },
  });
  if (active) await activate(i.id);
  return i;
}

let nextId = 5000;
// WooCommerce times have whole seconds: orders in these tests are made a second after activation.
const wooOrder = (o: Parameters<typeof demoOrder>[2] = {}, at = new Date(Date.now() + 1000).toISOString()) => {
  const id = nextId++;
  return demoOrder(id, id, o, at);
};

describe("WooCommerce webhooks → ledger → queue → sandbox accounting", () => {
  it("transfers a signed order once, with the order as received and the document as sent", async () => {
    const i = await wooIntegration();
    const order = wooOrder();
    const r = await postWoo(i.id, order, SECRET);
    expect(r.status).toBe(200);
    const entry = await waitForOrder(i.id, String(order.id));
    expect(entry).toMatchObject({ orderId: String(order.id), orderNumber: order.number, status: "transferred", source: "webhook", document: { type: "draft" } });
    expect(entry.received.id).toBe(order.id);
    expect(entry.sent).toBeTruthy();
    expect(entry.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(["transferred"]);
    expect(await sandboxDocuments(i.id)).toHaveLength(1);
  });

  it("answers the unsigned creation ping with 200 and stores nothing", async () => {
    const i = await wooIntegration();
    const r = await call("POST", `/webhooks/woocommerce/${i.id}`, "webhook_id=42", null, { "content-type": "application/x-www-form-urlencoded" });
    expect(r.status).toBe(200);
    expect(await env.DB.prepare("SELECT count(*) n FROM deliveries WHERE integration_id = ?").bind(i.id).first("n")).toBe(0);
  });

  it("refuses a bad or missing signature with 401 and stores nothing", async () => {
    const i = await wooIntegration();
    expect((await postWoo(i.id, wooOrder(), "wrong-secret")).status).toBe(401);
    expect((await postWoo(i.id, wooOrder(), null)).status).toBe(401);
    expect(await env.DB.prepare("SELECT count(*) n FROM deliveries WHERE integration_id = ?").bind(i.id).first("n")).toBe(0);
    expect(await ledgerRows(i.id)).toHaveLength(0);
  });

  it("accepts the previous secret during a rotation", async () => {
    const i = await wooIntegration();
    await call("PATCH", `/api/staff/integrations/${i.id}`, { shop: { settings: { webhookSecret: "new-secret", previousWebhookSecret: SECRET } } });
    expect((await postWoo(i.id, wooOrder(), SECRET)).status).toBe(200);
    expect((await postWoo(i.id, wooOrder(), "new-secret")).status).toBe(200);
    expect((await postWoo(i.id, wooOrder(), "older-secret")).status).toBe(401);
  });

  it("404 for an unknown integration, 413 over 5 MiB, 400 for unreadable JSON (kept for inspection)", async () => {
    const i = await wooIntegration();
    expect((await postWoo("int_nope", wooOrder(), SECRET)).status).toBe(404);
    const huge = JSON.stringify({ ...wooOrder(), padding: "x".repeat(5 * 1024 * 1024) });
    expect((await postWoo(i.id, huge, SECRET)).status).toBe(413);
    const bad = await postWoo(i.id, "{not json", SECRET);
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("invalid_request");
    const kept = await env.DB.prepare("SELECT status, body FROM deliveries WHERE integration_id = ?").bind(i.id).first<{ status: string; body: string }>();
    expect(kept).toEqual({ status: "unreadable", body: "{not json" });
  });

  it("R4: an inactive integration answers 200 and records the order as skipped (integration_inactive)", async () => {
    const i = await wooIntegration(false);
    const order = wooOrder();
    expect((await postWoo(i.id, order, SECRET)).status).toBe(200);
    const entry = await waitForOrder(i.id, String(order.id), (e) => e.status === "skipped");
    expect(entry.reason).toBe("integration_inactive");
    expect(await sandboxDocuments(i.id)).toHaveLength(0);
  });

  it("the same delivery 10 times concurrently → one ledger row, one document", async () => {
    const i = await wooIntegration();
    const order = wooOrder();
    const answers = await Promise.all(Array.from({ length: 10 }, () => postWoo(i.id, order, SECRET)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await waitForOrder(i.id, String(order.id));
    expect(await ledgerRows(i.id)).toHaveLength(1);
    expect(await sandboxDocuments(i.id)).toHaveLength(1);
    // The duplicates were recognised by the stable key (order id + date_modified_gmt): one delivery kept.
    const kept = await env.DB.prepare("SELECT dedupe_key FROM deliveries WHERE integration_id = ?").bind(i.id).all();
    expect(kept.results).toEqual([{ dedupe_key: `order:${order.id}:${order.date_modified_gmt}` }]);
  });

  it("a body too big for a queue message is kept in D1 and the message carries a reference", async () => {
    const i = await wooIntegration();
    const order = { ...wooOrder(), customer_note: "n".repeat(150 * 1024) };
    expect((await postWoo(i.id, order, SECRET)).status).toBe(200);
    const stored = await env.DB.prepare("SELECT length(body) AS len FROM deliveries WHERE integration_id = ?").bind(i.id).first<{ len: number }>();
    expect(stored!.len).toBeGreaterThan(150 * 1024);
    expect((await waitForOrder(i.id, String(order.id))).status).toBe("transferred");
  });

  it("R5 then R6: a pending-payment order is skipped, and its update into processing transfers it", async () => {
    const i = await wooIntegration();
    const order = wooOrder({ status: "pending" });
    await postWoo(i.id, order, SECRET);
    expect((await waitForOrder(i.id, String(order.id), (e) => e.status === "skipped")).reason).toBe("state_not_allowed");
    const later = new Date(Date.now() + 2000).toISOString().replace(/\.\d+Z$/, "");
    await postWoo(i.id, { ...order, status: "processing", date_modified_gmt: later }, SECRET, "order.updated");
    expect((await waitForOrder(i.id, String(order.id), (e) => e.status === "transferred")).document).toBeTruthy();
  });

  it("R3/R6: an order created before activation is skipped (before_start), and transferred by a later update", async () => {
    const i = await wooIntegration();
    const order = wooOrder({ createdAt: new Date(Date.now() - 3600_000).toISOString() });
    await postWoo(i.id, order, SECRET);
    expect((await waitForOrder(i.id, String(order.id), (e) => e.status === "skipped")).reason).toBe("before_start");
    const later = new Date(Date.now() + 2000).toISOString().replace(/\.\d+Z$/, "");
    await postWoo(i.id, { ...order, date_modified_gmt: later }, SECRET, "order.updated");
    expect((await waitForOrder(i.id, String(order.id), (e) => e.status === "transferred")).status).toBe("transferred");
  });

  it("R7: an update of a transferred order updates the draft in place and creates nothing; R8 transfer again creates a new document", async () => {
    const i = await wooIntegration();
    const order = wooOrder();
    await postWoo(i.id, order, SECRET);
    await waitForOrder(i.id, String(order.id));
    const later = new Date(Date.now() + 2000).toISOString().replace(/\.\d+Z$/, "");
    await postWoo(i.id, { ...order, date_modified_gmt: later, customer_note: "leave at the door" }, SECRET, "order.updated");
    await waitForOrder(i.id, String(order.id), (e) => e.attempts.some((a: { outcome: string }) => a.outcome === "draft_updated"));
    expect(await sandboxDocuments(i.id)).toHaveLength(1);

    const again = await call("POST", `/api/staff/integrations/${i.id}/orders/${order.id}/transfer-again`);
    expect(again.status).toBe(202);
    const entry = await waitForOrder(i.id, String(order.id), (e) => e.status === "transferred" && e.source === "manual");
    const docs = await sandboxDocuments(i.id);
    expect(docs).toHaveLength(2);
    expect(entry.document.number).toBe(String(docs[1].number));
    expect(docs[0].reference).not.toBe(docs[1].reference);
  });

  it("R7: an update of a booked order creates nothing and is recorded as already_transferred", async () => {
    const i = await wooIntegration();
    await call("PATCH", `/api/staff/integrations/${i.id}`, { accounting: { settings: { documentType: "booked" } } });
    const order = wooOrder();
    await postWoo(i.id, order, SECRET);
    await waitForOrder(i.id, String(order.id));
    const later = new Date(Date.now() + 2000).toISOString().replace(/\.\d+Z$/, "");
    await postWoo(i.id, { ...order, date_modified_gmt: later, status: "completed" }, SECRET, "order.updated");
    const entry = await waitForOrder(i.id, String(order.id), (e) => e.reason === "already_transferred");
    expect(entry.status).toBe("transferred");
    expect(entry.document.type).toBe("booked");
    expect(await sandboxDocuments(i.id)).toHaveLength(1);
  });

  it("a merchant-fixable failure is failed at once with category, message and hint", async () => {
    const i = await wooIntegration();
    const order = wooOrder({ sku: "NOT-IN-BOOKS" });
    await postWoo(i.id, order, SECRET);
    const entry = await waitForOrder(i.id, String(order.id));
    expect(entry.status).toBe("failed");
    expect(entry.error.category).toBe("product_missing");
    expect(entry.error.message).toContain("NOT-IN-BOOKS");
    expect(entry.error.hint.length).toBeGreaterThan(10);
    expect(entry.attempts).toHaveLength(1);
  });

  it("lists the ledger newest first with a cursor, filtered by status", async () => {
    const i = await wooIntegration();
    const orders = [wooOrder(), wooOrder(), wooOrder({ status: "on-hold" })];
    for (const o of orders) {
      await postWoo(i.id, o, SECRET);
      await waitForOrder(i.id, String(o.id));
    }
    const page1 = await call("GET", `/api/staff/integrations/${i.id}/orders?limit=2`);
    expect(page1.json.items.map((e: { orderId: string }) => e.orderId)).toEqual([String(orders[2].id), String(orders[1].id)]);
    const page2 = await call("GET", `/api/staff/integrations/${i.id}/orders?limit=2&cursor=${page1.json.nextCursor}`);
    expect(page2.json.items.map((e: { orderId: string }) => e.orderId)).toEqual([String(orders[0].id)]);
    expect(page2.json.nextCursor).toBeNull();
    const skipped = await call("GET", `/api/staff/integrations/${i.id}/orders?status=skipped`);
    expect(skipped.json.items).toHaveLength(1);
    expect((await call("GET", `/api/staff/integrations/${i.id}/orders?limit=abc`)).status).toBe(400);
    expect((await call("GET", `/api/staff/integrations/${i.id}/orders?limit=5000`)).json.items).toHaveLength(3);
    expect((await call("GET", `/api/staff/integrations/${i.id}/orders?limit=0`)).json.items).toHaveLength(1);
    expect((await call("GET", `/api/staff/integrations/${i.id}/orders?cursor=garbage`)).status).toBe(400);
  });
});

describe("the sandbox shop", () => {
  it("numbers concurrent demo orders without collisions, and each is polled and transferred once", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    await new Promise((r) => setTimeout(r, 1000)); // orders are made after the integration's start second
    await activate(i.id);
    const made = await Promise.all(Array.from({ length: 8 }, () => call("POST", `/api/staff/integrations/${i.id}/sandbox/orders`, {})));
    expect(made.map((m) => m.status)).toEqual(Array(8).fill(201));
    const numbers = made.map((m) => m.json.number);
    expect(new Set(numbers).size).toBe(8);
    for (const m of made) expect((await waitForOrder(i.id, String(m.json.id))).status).toBe("transferred");
    expect(await sandboxDocuments(i.id)).toHaveLength(8);
  });
});
