import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { formatAmount } from "../../src/domain/currency";
import { demoOrder } from "../../src/modules/sandbox/shop";
import { activate, call, createIntegration, sandboxDocuments, waitForOrder } from "../helpers";
import { runBatch } from "../transfers/transfer-helpers";
import { signedInOwner } from "./helpers";

/** A ledger row with the order as received (a sandbox order), as intake leaves it. */
async function logged(tenantId: string, integrationId: string, n: number, over: { status?: string; name?: string; email?: string; receivedAt?: string; document?: string; category?: string } = {}) {
  const o = demoOrder(n, n, { email: over.email ?? `kunde${n}@example.dk` }, "2026-11-03T09:00:00Z") as ReturnType<typeof demoOrder> & { billing: Record<string, string> };
  if (over.name) [o.billing.first_name, o.billing.last_name] = over.name.split(" ");
  const at = over.receivedAt ?? new Date(Date.UTC(2026, 10, 3, 9, 0, n % 60)).toISOString();
  const gross = Math.round(Number((o as { total: string }).total) * 100);
  await env.DB.prepare(
    `INSERT INTO ledger (id, integration_id, tenant_id, shop_order_id, order_number, status, source, received_at, updated_at, order_created_at, received, currency, total_gross, document_type, document_number, error_category, error_message, error_hint)
     VALUES (?, ?, ?, ?, ?, ?, 'poll', ?, ?, '2026-11-03T09:00:00Z', ?, 'DKK', ?, ?, ?, ?, ?, 'hint')`,
  )
    .bind(`led_${crypto.randomUUID()}`, integrationId, tenantId, String(n), String(n), over.status ?? "transferred", at, at, JSON.stringify(o), gross, over.document ? "draft" : null, over.document ?? null, over.category ?? null, over.category ? "Sandbox says no" : null)
    .run();
  return { id: String(n), gross };
}

const rowsOf = (html: string) => [...html.matchAll(/data-order="([^"]+)"/g)].map((m) => m[1]);

describe("settings page: a log to work in", () => {
  it("shows every integration at once, filters to one, searches by number, customer and e-mail, with dates, customers, amounts and counts", async () => {
    const { b, tenantId } = await signedInOwner();
    const a = await createIntegration(tenantId, { name: "Butik A", shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    const z = await createIntegration(tenantId, { name: "Butik B", shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    const first = await logged(tenantId, a.id, 1001, { name: "Søren Hansen", email: "soeren@firma.dk", document: "17" });
    await logged(tenantId, a.id, 1002, { status: "failed", category: "sku_missing" });
    await logged(tenantId, z.id, 2001);

    const all = await b.get("/log");
    expect(rowsOf(all.text).sort()).toEqual(["1001", "1002", "2001"]);
    expect(all.text).toContain("Viser 1–3 af 3 ordrer");
    expect(all.text).toMatch(/id="counts"[^>]*>Overført: 2 · Fejlet: 1</);
    expect(all.text).toContain(">3. nov. 2026<");
    expect(all.text).toContain("Demo Søren Hansen".split(" ").slice(1).join(" "));
    expect(all.text).toContain(formatAmount(first.gross, "DKK", "da"));
    expect(all.text).toContain("Butik B");
    expect(all.text).toContain("Varenummer (SKU) mangler. </b>Giv varen et varenummer (SKU) i webshoppen");

    expect(rowsOf((await b.get(`/log?integration=${z.id}`)).text)).toEqual(["2001"]);
    expect(rowsOf((await b.get("/log?q=soeren%40firma")).text)).toEqual(["1001"]);
    expect(rowsOf((await b.get("/log?q=s%C3%B8ren")).text)).toEqual(["1001"]);
    expect(rowsOf((await b.get("/log?q=2001")).text)).toEqual(["2001"]);
    expect(rowsOf((await b.get("/log?q=100_")).text)).toEqual([]); // LIKE's wildcard is a literal character
    const none = await b.get(`/log?integration=${a.id}&q=nobody`);
    expect(none.text).toContain("Ingen ordrer passer til søgningen.");
    expect(none.text).toMatch(/<a class="button secondary" href="\/log">Nulstil filtre<\/a>/);
    // The language switch keeps the filters.
    expect(none.text).toContain(`href="?integration=${a.id}&amp;q=nobody&amp;lang=en"`);
    expect((await b.get(`/log?integration=${a.id}&q=nobody&lang=en`)).text).toContain("No orders match the search.");

    // Another tenant's integration id is no filter at all.
    const other = await signedInOwner();
    expect((await other.b.get(`/log?integration=${a.id}`)).status).toBe(404);
    expect(rowsOf((await other.b.get("/log")).text)).toEqual([]);
  });

  it("pages of 50 with previous and next and the total", async () => {
    const { b, tenantId } = await signedInOwner();
    const i = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    for (let n = 0; n < 55; n++) await logged(tenantId, i.id, 5000 + n, { receivedAt: new Date(Date.UTC(2026, 10, 3, 9, n)).toISOString() });
    const p1 = await b.get("/log");
    expect(rowsOf(p1.text)).toHaveLength(50);
    expect(rowsOf(p1.text)[0]).toBe("5054");
    expect(p1.text).toContain("Viser 1–50 af 55 ordrer");
    expect(p1.text).toContain('href="/log?page=2" rel="next"');
    expect(p1.text).not.toContain('rel="prev"');
    const p2 = await b.get("/log?page=2");
    expect(rowsOf(p2.text)).toEqual(["5004", "5003", "5002", "5001", "5000"]);
    expect(p2.text).toContain("Viser 51–55 af 55 ordrer");
    expect(p2.text).toContain('href="/log?" rel="prev"');
    expect(p2.text).not.toContain('rel="next"');
  });

  it("the order page is a summary in words and kr., the raw JSON behind a disclosure, and transfer again says what happens to the document", async () => {
    const { b, tenantId } = await signedInOwner();
    const i = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    const o = await logged(tenantId, i.id, 3001, { name: "Søren Hansen", document: "42" });
    const page = await b.get(`/integrations/${i.id}/orders/${o.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/id="customer">Søren Hansen<span class="muted"> kunde3001@example.dk/);
    expect(page.text).toContain(`<b>${formatAmount(o.gross, "DKK", "da")}</b>`);
    expect(page.text).toContain("I alt inkl. moms");
    expect(page.text).toMatch(/Fragt: /);
    expect(page.text).toMatch(/<details class="raw"><summary>Rå data \(JSON\) til support<\/summary>[^]*id="received"/);
    expect(page.text).toContain("Bilaget Kladde 42 i regnskabet bliver liggende. Der oprettes et nyt bilag");
    expect(page.text).toContain("Ingen refusioner.");

    // The order's credit notes with their status and, when failed, the fix in words.
    const note = (refundId: string, status: string, extra: { doc?: string; category?: string } = {}) =>
      env.DB.prepare(
        `INSERT INTO credit_notes (id, integration_id, tenant_id, shop_order_id, refund_id, status, amount, currency, document_type, document_number, error_category, error_message, error_hint, received_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 5000, 'DKK', ?, ?, ?, ?, 'hint', '2026-11-04T10:00:00Z', '2026-11-04T10:00:00Z')`,
      ).bind(`cn_${crypto.randomUUID()}`, i.id, tenantId, o.id, refundId, status, extra.doc ? "draft" : null, extra.doc ?? null, extra.category ?? null, extra.category ? "closed" : null).run();
    await note("r1", "transferred", { doc: "43" });
    await note("r2", "failed", { category: "fiscal_year_closed" });
    await note("r3", "waiting");
    const withNotes = await b.get(`/integrations/${i.id}/orders/${o.id}`);
    expect(withNotes.text).toMatch(/data-refund="r1">[^]*?Overført[^]*?50,00 kr\.[^]*?Kladde 43/);
    expect(withNotes.text).toMatch(/data-refund="r2">[^]*?Fejlet[^]*?Opret eller genåbn regnskabsåret/);
    expect(withNotes.text).toMatch(/data-refund="r3">[^]*?Venter på fakturaen/);
  });

  it("filters to the orders with refunds or cancellations (credit notes)", async () => {
    const { b, tenantId } = await signedInOwner();
    const a = await createIntegration(tenantId, { name: "Butik R", shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    await logged(tenantId, a.id, 3001);
    await logged(tenantId, a.id, 3002);
    await env.DB.prepare(
      "INSERT INTO credit_notes (id, integration_id, tenant_id, shop_order_id, refund_id, status, amount, currency, received_at, updated_at) VALUES (?, ?, ?, '3002', 'r1', 'transferred', 5000, 'DKK', ?, ?)",
    )
      .bind(`cn_${crypto.randomUUID()}`, a.id, tenantId, "2026-11-04T09:00:00Z", "2026-11-04T09:00:00Z")
      .run();
    const page = await b.get(`/log?integration=${a.id}&refunded=1`);
    expect(rowsOf(page.text)).toEqual(["3002"]);
    expect(page.text).toMatch(/id="refunded"[^>]*checked/);
    expect(rowsOf((await b.get(`/log?integration=${a.id}`)).text).sort()).toEqual(["3001", "3002"]);
  });

  it("a credit note can be transferred again from the order page, with a confirmation: a new credit note, the first one kept", async () => {
    const { b, tenantId } = await signedInOwner();
    const i = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    await activate(i.id);
    const order = (await call("POST", `/api/staff/integrations/${i.id}/sandbox/orders`, {})).json;
    await runBatch([{ body: { type: "poll", integrationId: i.id } }]);
    await runBatch([{ body: { type: "transfer", integrationId: i.id, shopOrderId: String(order.id) } }]);
    expect((await call("POST", `/api/staff/integrations/${i.id}/sandbox/orders/${order.id}/refunds`, { quantity: 1 })).status).toBe(201);
    await runBatch([{ body: { type: "poll", integrationId: i.id } }]);
    const first = await waitForOrder(i.id, String(order.id), (x) => x.creditNotes[0]?.status === "transferred");
    const page = `/integrations/${i.id}/orders/${order.id}`;
    const action = `${page}/refunds/${first.creditNotes[0].refundId}/transfer-again`;
    expect((await b.get(page)).text).toContain(`action="${action}"`);
    // Without the confirmation nothing changes.
    expect((await b.submit(page, action, {})).status).toBe(400);
    expect((await waitForOrder(i.id, String(order.id))).creditNotes[0].document).toEqual(first.creditNotes[0].document);
    const done = await b.submit(page, action, { confirm: "yes" });
    expect(done.status).toBe(303);
    expect(done.location).toContain("done=credit-again");
    const again = await waitForOrder(i.id, String(order.id), (x) => x.creditNotes[0]?.status === "transferred" && x.creditNotes[0].document?.number !== first.creditNotes[0].document.number);
    expect(again.creditNotes).toHaveLength(1);
    const credits = (await sandboxDocuments(i.id)).filter((d) => JSON.parse(d.body).type === "creditNote");
    expect(credits).toHaveLength(2); // the first one stays in the books
    expect((await b.get(`${page}?done=credit-again`)).text).toContain("Kreditnotaen sættes i kø til overførsel igen.");
  });
});
