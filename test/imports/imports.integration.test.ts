import { describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:workers";
import { demoOrder } from "../../src/modules/sandbox/shop";
import { activate, call, createIntegration, createTenant, sandboxDocuments, waitImport } from "../helpers";

const DAY = 86400_000;

/** A sandbox integration and earlier orders (created and last changed before its start point). */
async function setup(orders: { sku?: string | null; status?: string; daysAgo?: number }[]) {
  const t = await createTenant();
  const i = await createIntegration(t.id, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
  await activate(i.id);
  let n = 0;
  for (const o of orders) {
    n++;
    const at = new Date(Date.now() - (o.daysAgo ?? 20 + n) * DAY).toISOString();
    const id = 700000 + n;
    const body = demoOrder(id, 1000 + n, { sku: o.sku, status: o.status, createdAt: at }, at);
    await env.DB.prepare("INSERT INTO sandbox_orders (integration_id, id, number, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(i.id, String(id), 1000 + n, JSON.stringify(body), at, at)
      .run();
  }
  const fromDate = new Date(Date.now() - 60 * DAY).toISOString().slice(0, 10);
  return { tenant: t, integration: i, fromDate };
}

const imp = (id: string) => call("GET", `/api/staff/imports/${id}`).then((r) => r.json);

async function approved(integrationId: string, fromDate: string, estimatedOrders: number) {
  const created = await call("POST", "/api/staff/imports", { integrationId, fromDate, estimatedOrders });
  expect(created.status).toBe(201);
  const id = created.json.id;
  const test = await call("POST", `/api/staff/imports/${id}/test-transfer`);
  expect(test.status, test.text).toBe(200);
  expect(test.json.testTransfer.status).toBe("transferred");
  expect((await call("POST", `/api/staff/imports/${id}/approve`, { note: "Approved by phone with the owner" })).status).toBe(200);
  return id as string;
}

describe("imports of earlier orders", () => {
  it("preflight → test transfer → approval → run → report, with billing equal to the month's usage", async () => {
    const { tenant, integration, fromDate } = await setup([{}, { sku: "NOPE-1" }, {}, { status: "pending" }, {}]);
    const created = await call("POST", "/api/staff/imports", { integrationId: integration.id, fromDate, estimatedOrders: 5 });
    expect(created.json).toMatchObject({ status: "draft", estimatedOrders: 5, acceptedHalfHours: 1, progress: { found: 0 } });
    const id = created.json.id;

    expect((await call("POST", `/api/staff/imports/${id}/preflight`, {})).status).toBe(202);
    const pf = await waitImport(id, (i) => i.preflight?.status === "done");
    expect(pf.preflight).toEqual({ status: "done", ordersFound: 5, refundsFound: 0, errorsByCategory: { product_missing: 1 } });
    expect(await sandboxDocuments(integration.id)).toHaveLength(0); // the preflight creates nothing
    expect((await call("GET", `/api/staff/tenants/${tenant.id}/usage`)).json.transferredOrders).toBe(0);
    const pfErrors = await call("GET", `/api/staff/imports/${id}/errors?category=product_missing`);
    expect(pfErrors.json.items).toEqual([expect.objectContaining({ orderNumber: "1002", category: "product_missing", message: expect.stringContaining("NOPE-1") })]);

    expect((await call("POST", `/api/staff/imports/${id}/start`)).json.error.code).toBe("not_approved");
    expect((await call("POST", `/api/staff/imports/${id}/approve`, { note: "ok" })).json.error.code).toBe("test_transfer_required");
    const test = await call("POST", `/api/staff/imports/${id}/test-transfer`, {});
    expect(test.json.testTransfer).toMatchObject({ orderId: "700001", status: "transferred", document: { type: "draft" } });
    expect((await call("POST", `/api/staff/imports/${id}/approve`, { note: "Customer approved by phone" })).json.status).toBe("approved");

    const started = await call("POST", `/api/staff/imports/${id}/start`);
    expect(started.status).toBe(202);
    expect(started.json.status).toBe("running");
    expect((await call("POST", `/api/staff/imports/${id}/start`)).status).toBe(409);
    const done = await waitImport(id, (i) => i.status === "completed");
    expect(done.progress).toEqual({ found: 5, transferred: 3, failed: 1, skipped: 1, pending: 0, creditNotes: { transferred: 0, failed: 0 } });
    expect(done.errorsByCategory).toEqual({ product_missing: 1 });
    expect(done.billing).toMatchObject({ fromIncluded: 3, fromTopUp: 0, extraOrders: 0, extraOrdersCost: 0, technicianHalfHours: 0, total: 0, currency: "DKK" });
    expect(await sandboxDocuments(integration.id)).toHaveLength(3); // the test transfer is not transferred again
    const usage = (await call("GET", `/api/staff/tenants/${tenant.id}/usage`)).json;
    expect(usage.transferredOrders).toBe(3);
    expect(usage.reservedIncluded).toBe(0); // released at the end
    const ledger = await call("GET", `/api/staff/integrations/${integration.id}/orders?limit=10`);
    expect(ledger.json.items.every((e: { source: string; importId: string }) => e.source === "import" && e.importId === id)).toBe(true);
    const errors = await call("GET", `/api/staff/imports/${id}/errors`);
    expect(errors.json.items).toEqual([
      { orderId: "700002", orderNumber: "1002", category: "product_missing", message: expect.stringContaining("NOPE-1"), hint: expect.any(String) },
    ]);
    const audit = await env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ? ORDER BY id").bind(id).all();
    expect(audit.results.map((r) => r.action)).toEqual(["import.create", "import.preflight", "import.test_transfer", "import.approve", "import.start"]);
  });

  it("R19: an order already transferred is skipped, not transferred again and not charged", async () => {
    const { tenant, integration, fromDate } = await setup([{}, {}, {}]);
    // Order 700002 was pushed live earlier (e.g. by an update, R6) and transferred.
    const again = await call("POST", "/api/staff/imports", { integrationId: integration.id, fromDate, estimatedOrders: 3 });
    await call("POST", `/api/staff/imports/${again.json.id}/test-transfer`, { orderId: "700002" });
    await call("POST", `/api/staff/imports/${again.json.id}/cancel`);
    await env.DB.prepare("UPDATE ledger SET source = 'webhook', import_id = NULL WHERE integration_id = ?").bind(integration.id).run();
    expect(await sandboxDocuments(integration.id)).toHaveLength(1);

    const id = await approved(integration.id, fromDate, 3);
    await call("POST", `/api/staff/imports/${id}/start`);
    const done = await waitImport(id, (i) => i.status === "completed");
    expect(done.progress).toEqual({ found: 3, transferred: 2, failed: 0, skipped: 1, pending: 0, creditNotes: { transferred: 0, failed: 0 } });
    expect(await sandboxDocuments(integration.id)).toHaveLength(3);
    expect(done.billing.fromIncluded).toBe(2);
    expect((await call("GET", `/api/staff/tenants/${tenant.id}/usage`)).json.transferredOrders).toBe(3);
  });

  it("R17: more than 25 % over the estimate pauses the run; a new quote lets it go on", async () => {
    const { integration, fromDate } = await setup([{}, {}, {}, {}, {}, {}]);
    const id = await approved(integration.id, fromDate, 4); // 6 found > 1.25 × 4
    await call("POST", `/api/staff/imports/${id}/start`);
    const paused = await waitImport(id, (i) => i.status === "paused");
    expect(paused.pauseReason).toBe("scope_exceeded");
    // Nothing past the estimate is transferred (or charged) until a new quote: only the test transfer exists.
    expect(await sandboxDocuments(integration.id)).toHaveLength(1);
    expect(paused.progress.pending).toBe(5);
    const resume = await call("POST", `/api/staff/imports/${id}/resume`);
    expect(resume.status).toBe(409);
    expect(resume.json.error.code).toBe("scope_exceeded");
    expect((await imp(id)).status).toBe("paused");
    expect((await call("PATCH", `/api/staff/imports/${id}`, {})).status).toBe(400);
    expect((await call("PATCH", `/api/staff/imports/${id}`, { estimatedOrders: 6 })).status).toBe(200);
    expect((await call("POST", `/api/staff/imports/${id}/resume`)).json.status).toBe("running");
    const done = await waitImport(id, (i) => i.status === "completed");
    expect(done.progress.transferred).toBe(6);
  });

  it("R17: a preflight that finds too many orders makes start answer 409 scope_exceeded, keeping the state", async () => {
    const { integration, fromDate } = await setup([{}, {}, {}]);
    const id = await approved(integration.id, fromDate, 2);
    await call("POST", `/api/staff/imports/${id}/preflight`);
    await waitImport(id, (i) => i.preflight?.status === "done");
    const start = await call("POST", `/api/staff/imports/${id}/start`);
    expect(start.status).toBe(409);
    expect(start.json.error.code).toBe("scope_exceeded");
    expect((await imp(id)).status).toBe("approved");
    await call("PATCH", `/api/staff/imports/${id}`, { estimatedOrders: 3 });
    expect((await call("POST", `/api/staff/imports/${id}/start`)).status).toBe(202);
  });

  it("the range honours fromOrderNumber (a number or a string) and toDate", async () => {
    const { integration, fromDate } = await setup([{ daysAgo: 30 }, { daysAgo: 29 }, { daysAgo: 28 }, { daysAgo: 2 }]);
    const toDate = new Date(Date.now() - 10 * DAY).toISOString().slice(0, 10);
    for (const fromOrderNumber of [1002, "#1002"]) {
      const created = await call("POST", "/api/staff/imports", { integrationId: integration.id, fromDate, fromOrderNumber, toDate, estimatedOrders: 2 });
      expect(created.status).toBe(201);
      expect(created.json.fromOrderNumber).toBe(String(fromOrderNumber));
      await call("POST", `/api/staff/imports/${created.json.id}/preflight`);
      const pf = await waitImport(created.json.id, (i) => i.preflight?.status === "done");
      expect(pf.preflight.ordersFound).toBe(2); // 1002 and 1003; 1001 is below the number, 1004 after toDate
    }
  });

  it("pause, resume and cancel; illegal steps answer 409 invalid_state", async () => {
    const { integration, fromDate } = await setup([{}]);
    const created = (await call("POST", "/api/staff/imports", { integrationId: integration.id, fromDate, estimatedOrders: 1 })).json;
    const pause = await call("POST", `/api/staff/imports/${created.id}/pause`);
    expect(pause.status).toBe(409);
    expect(pause.json.error.code).toBe("invalid_state");
    expect((await call("POST", `/api/staff/imports/${created.id}/resume`)).json.error.code).toBe("invalid_state");
    expect((await call("POST", `/api/staff/imports/${created.id}/cancel`)).json.status).toBe("cancelled");
    expect((await call("POST", `/api/staff/imports/${created.id}/cancel`)).json.error.code).toBe("invalid_state");
    expect((await call("POST", `/api/staff/imports/${created.id}/start`)).json.error.code).toBe("invalid_state");
  });

  it("R14: technician time per started half hour, and a new offer when it passes the accepted time", async () => {
    const { integration, fromDate } = await setup([]);
    const { id } = (await call("POST", "/api/staff/imports", { integrationId: integration.id, fromDate, estimatedOrders: 0 })).json;
    const price = (await call("GET", "/api/staff/plans")).json.technicianHalfHourPrice;
    const t1 = await call("POST", `/api/staff/imports/${id}/time`, { minutes: 30, note: "setup" });
    expect(t1.json).toMatchObject({ technicianMinutes: 30, technicianHalfHours: 1, acceptedHalfHours: 1, technicianCost: price, needsNewOffer: false });
    const t2 = await call("POST", `/api/staff/imports/${id}/time`, { minutes: 1, note: "one more minute" });
    expect(t2.json).toMatchObject({ technicianMinutes: 31, technicianHalfHours: 2, technicianCost: price, needsNewOffer: true });
    const offer = await call("POST", `/api/staff/imports/${id}/offers`, { halfHours: 1 });
    expect(offer.json.acceptedHalfHours).toBe(2);
    expect(offer.json.billing.technicianHalfHours).toBe(2);
    expect(offer.json.billing.technicianCost).toBe(2 * price);
    const t3 = await call("POST", `/api/staff/imports/${id}/time`, { minutes: 1, note: "check" });
    expect(t3.json.needsNewOffer).toBe(false);
  });

  it("refuses bad input with 400/404/422 and changes nothing", async () => {
    const { tenant, integration, fromDate } = await setup([]);
    const before = await env.DB.prepare("SELECT count(*) n FROM imports").first("n");
    const future = new Date(Date.now() + 5 * DAY).toISOString().slice(0, 10);
    const cases: [Record<string, unknown>, number][] = [
      [{ integrationId: integration.id, fromDate: "2026-13-01", estimatedOrders: 1 }, 400],
      [{ integrationId: integration.id, fromDate: future, estimatedOrders: 1 }, 400],
      [{ integrationId: integration.id, fromDate, toDate: "2020-01-01", estimatedOrders: 1 }, 400],
      [{ integrationId: integration.id, fromDate, estimatedOrders: -1 }, 400],
      [{ integrationId: integration.id, fromDate, estimatedOrders: 1, status: "running" }, 400],
      [{ integrationId: "int_nope", fromDate, estimatedOrders: 1 }, 404],
    ];
    for (const [body, status] of cases) expect((await call("POST", "/api/staff/imports", body)).status, JSON.stringify(body)).toBe(status);
    const inactive = await createIntegration(tenant.id, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    const notReady = await call("POST", "/api/staff/imports", { integrationId: inactive.id, fromDate, estimatedOrders: 1 });
    expect(notReady.status).toBe(422);
    expect(notReady.json.error.code).toBe("integration_not_ready");
    expect(await env.DB.prepare("SELECT count(*) n FROM imports").first("n")).toBe(before);
    expect((await call("GET", "/api/staff/imports/imp_nope")).status).toBe(404);
  });
});

describe("a test transfer that meets a temporary failure", () => {
  it("answers pending and is retried by the queue until it is transferred", async () => {
    const { integration, fromDate } = await setup([{}]);
    // The sandbox accounting is "down" for @fail.test customers; the order's customer is changed to one.
    await env.DB.prepare("UPDATE sandbox_orders SET body = json_set(body, '$.billing.email', 'x@fail.test') WHERE integration_id = ?").bind(integration.id).run();
    const { id } = (await call("POST", "/api/staff/imports", { integrationId: integration.id, fromDate, estimatedOrders: 1 })).json;
    const test = await call("POST", `/api/staff/imports/${id}/test-transfer`);
    expect(test.json.testTransfer.status).toBe("pending");
    const row = await env.DB.prepare("SELECT status, attempts FROM ledger WHERE integration_id = ?").bind(integration.id).first<{ status: string; attempts: number }>();
    expect(row!.status).toBe("pending");
    // The message was enqueued with the backoff: the queue takes it again (here it keeps failing, so it stays pending with more attempts).
    await vi.waitFor(
      async () => {
        const r = await env.DB.prepare("SELECT attempts FROM ledger WHERE integration_id = ?").bind(integration.id).first<{ attempts: number }>();
        if (r!.attempts < 2) throw new Error("not retried yet");
      },
      { timeout: 20000, interval: 200 },
    );
  });

  it("R16: the run uses the integration's settings in force when it runs, not those of the quote or the test transfer", async () => {
    const { integration, fromDate } = await setup([{}, {}, {}]);
    const id = await approved(integration.id, fromDate, 3);
    // After the test transfer (a draft), the merchant books documents from now on.
    const patched = await call("PATCH", `/api/staff/integrations/${integration.id}`, { accounting: { settings: { documentType: "booked" } } });
    expect(patched.status, patched.text).toBe(200);
    await call("POST", `/api/staff/imports/${id}/start`);
    await waitImport(id, (i) => i.status === "completed");
    const docs = await sandboxDocuments(integration.id);
    expect(docs).toHaveLength(3);
    // The test transfer's document stays as it was made; the run's two are booked.
    expect(docs.map((d) => d.type).sort()).toEqual(["booked", "booked", "draft"]);
  });
});
