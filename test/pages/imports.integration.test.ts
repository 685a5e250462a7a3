import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { formatAmount } from "../../src/domain/currency";
import { call, createIntegration } from "../helpers";
import { csrfOf, signedInOwner } from "./helpers";

async function draftImport(tenantId: string, integrationId: string, o: { estimated: number; halfHours?: number; preflight?: unknown; testTransfer?: unknown; status?: string; found?: number; startedAt?: string; pauseReason?: string; pauseMessage?: string }) {
  const id = `imp_${crypto.randomUUID().slice(0, 12)}`;
  await env.DB.prepare(
    `INSERT INTO imports (id, tenant_id, integration_id, status, from_date, to_date, estimated_orders, accepted_half_hours, created_at, test_transfer, preflight, found, started_at, pause_reason, pause_message)
     VALUES (?, ?, ?, ?, '2026-01-01', '2026-02-01', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(id, tenantId, integrationId, o.status ?? "draft", o.estimated, o.halfHours ?? 1, new Date().toISOString(), o.testTransfer ? JSON.stringify(o.testTransfer) : null, o.preflight ? JSON.stringify(o.preflight) : null, o.found ?? 0, o.startedAt ?? null, o.pauseReason ?? null, o.pauseMessage ?? null)
    .run();
  return id;
}

const kr = (minor: number) => formatAmount(minor, "DKK", "da");
const tested = { orderId: "1", status: "transferred", document: { type: "draft", number: "7" } };

describe("settings page: informed import approval", () => {
  it("shows the quote in kr. (included, prepaid, extra, technician time, excl. and incl. moms) and its effect on the month before \"Godkend import for … kr.\"", async () => {
    const { b, tenantId } = await signedInOwner();
    const i = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    const estimated = 900;
    const id = await draftImport(tenantId, i.id, { estimated, halfHours: 2, preflight: { status: "done", ordersFound: 850, errorsByCategory: {} }, testTransfer: tested });
    const q = (await call("POST", "/api/staff/imports/quote", { integrationId: i.id, fromDate: "2026-01-01", estimatedOrders: estimated, technicianMinutes: 60 })).json;
    expect(q.total).toBeGreaterThan(0);
    const page = await b.get(`/imports/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`>${kr(q.total)}</b>`);
    expect(page.text).toContain(`>${kr(q.total + Math.round(q.total / 4))}<`);
    expect(page.text).toContain(`${q.extraOrders.toLocaleString("da-DK")} ordrer</td><td class="num">${kr(q.extraOrdersCost)}`);
    expect(page.text).toContain(`Teknikertid (${q.technicianHalfHours} × ½ time)</th><td></td><td class="num">${kr(q.technicianCost)}`);
    expect(page.text).toContain(`Importen bruger ${q.fromIncluded.toLocaleString("da-DK")} af de ${q.remainingIncluded.toLocaleString("da-DK")} inkluderede ordrer, der er tilbage i `);
    expect(page.text).toContain(`>Godkend import for ${kr(q.total)}</button>`);
    expect(page.text).not.toContain("I alt 0,00 kr.");
    expect(page.text).toMatch(/<li class="current" aria-current="step">Godkendelse<\/li>/);
    expect(page.text).not.toContain('id="more-than-estimate"');

    // Approval needs the price accepted in so many words.
    const unaccepted = await b.post(`/imports/${id}/approve`, { _csrf: csrfOf(page.text), note: "ok" });
    expect(unaccepted.status).toBe(400);
    expect(unaccepted.text).toContain("Sæt kryds for at acceptere prisen");
    expect(unaccepted.text).toContain(">ok</textarea>");
    expect((await env.DB.prepare("SELECT status FROM imports WHERE id = ?").bind(id).first<string>("status"))).toBe("draft");
    const ok = await b.post(`/imports/${id}/approve`, { _csrf: csrfOf(page.text), note: "ok", accept: "yes" });
    expect(ok.status).toBe(303);
    // Approved, not started: the price is still the quote, and the run has not begun.
    const approved = await b.get(`/imports/${id}`);
    expect(approved.text).toContain(`>${kr(q.total)}</b>`);
    expect(approved.text).toMatch(/<li class="done">Godkendelse<\/li><li class="">I gang<\/li>/);
    expect(approved.text).not.toContain('aria-current="step"');
  });

  it("warns when the preflight found more than the estimate (R17), and says when that pauses the import", async () => {
    const { b, tenantId } = await signedInOwner();
    const i = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    const some = await draftImport(tenantId, i.id, { estimated: 100, preflight: { status: "done", ordersFound: 110, refundsFound: 7, errorsByCategory: {} } });
    const many = await draftImport(tenantId, i.id, { estimated: 100, preflight: { status: "done", ordersFound: 130, errorsByCategory: {} } });
    const a = await b.get(`/imports/${some}`);
    expect(a.text).toContain("Forhåndstjekket fandt 110 ordrer, flere end de 100, prisen bygger på. De ekstra ordrer afregnes på samme måde");
    expect(a.text).toMatch(/<li class="current" aria-current="step">Testoverførsel<\/li>/);
    // The refunds that come along (R22), in Danish.
    expect(a.text).toContain("Ordrerne har 7 refusioner: hver bliver en kreditnota i regnskabet sammen med fakturaen.");
    const m = await b.get(`/imports/${many}`);
    expect(m.text).not.toContain('id="refunds-found"');
    expect(m.text).toContain("Det er mere end 25 % over: importen holder pause");
  });

  it("a running import shows \"n af N (x %)\" and refreshes itself without script; a paused one says why in Danish with the shop's words as detail", async () => {
    const { b, tenantId } = await signedInOwner();
    const i = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    const running = await draftImport(tenantId, i.id, { estimated: 200, status: "running", found: 40, startedAt: new Date(Date.now() - 120_000).toISOString(), testTransfer: tested });
    for (let n = 0; n < 50; n++) {
      const at = new Date().toISOString();
      await env.DB.prepare(
        `INSERT INTO ledger (id, integration_id, tenant_id, shop_order_id, order_number, status, source, import_id, received_at, updated_at) VALUES (?, ?, ?, ?, ?, 'transferred', 'import', ?, ?, ?)`,
      ).bind(`led_${crypto.randomUUID()}`, i.id, tenantId, `r${n}`, `r${n}`, running, at, at).run();
    }
    const r = await b.get(`/imports/${running}`);
    expect(r.text).toContain("50 af 200 (25 %)");
    expect(r.text).toContain('<meta http-equiv="refresh" content="15"/>');
    expect(r.text).toMatch(/ordrer pr\. minut/);
    expect(r.text).toMatch(/<li class="current" aria-current="step">I gang<\/li>/);

    const paused = await draftImport(tenantId, i.id, { estimated: 200, status: "paused", pauseReason: "shop_unavailable", pauseMessage: "WooCommerce answered 502 Bad Gateway", testTransfer: tested });
    const p = await b.get(`/imports/${paused}`);
    expect(p.text).toContain("Webshoppen kunne ikke læses, så importen holder pause i stedet for at springe ordrer over.");
    expect(p.text).toContain('lang="en">Systemets egen besked: WooCommerce answered 502 Bad Gateway');
    expect(p.text).not.toContain('http-equiv="refresh"');

    const shopError = await draftImport(tenantId, i.id, { estimated: 10, preflight: { status: "done", ordersFound: 0, errorsByCategory: {}, shopError: "The shop answered 401 Unauthorized" } });
    const s = await b.get(`/imports/${shopError}`);
    expect(s.text).toContain("Forhåndstjekket kunne ikke læse webshoppen.");
    expect(s.text).toContain("The shop answered 401 Unauthorized");
  });
});
