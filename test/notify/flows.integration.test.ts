import { describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:workers";
import { setOutboundFetch } from "../../src/lib/outbound";
import { demoOrder } from "../../src/modules/sandbox/shop";
import { handleMessage } from "../../src/queue";
import { TransferContext } from "../../src/transfers/transfer";
import { activeIntegration } from "../cron/cron-helpers";
import { fakeWooCommerce, shopRouter } from "../fakes/shops";
import { FakeEconomic } from "../fakes/economic";
import { call, postShopify, postWoo, waitForOrder } from "../helpers";
import { setup } from "../transfers/transfer-helpers";
import { signedInOwner } from "../pages/helpers";
import { addUser, importable, outbox, useRecordingSender } from "./notify-helpers";

const mail = useRecordingSender();

const later = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();

describe("shop_disconnected", () => {
  it("Shopify's app/uninstalled mails the owner once, in the owner's language, with the way to reconnect", async () => {
    setOutboundFetch(new FakeEconomic().fetch);
    const { tenant, integration } = await setup("shopify");
    const owner = await addUser(tenant.id, "owner", "en");
    for (let n = 0; n < 2; n++) expect((await postShopify(integration.id, { id: 1 }, "shp-secret", { topic: "app/uninstalled" })).status).toBe(200);
    expect(mail.sent).toHaveLength(1);
    expect(mail.sent[0]).toMatchObject({ to: owner.email, subject: "Shopify is disconnected from Shopify → e-conomic" });
    expect(mail.sent[0].text).toContain("Reconnect Shopify on the integration's page.");
    expect(mail.sent[0].text).toContain(`https://orderbridge.test/integrations/${integration.id}?lang=en`);
    expect((await outbox(tenant.id)).map((i) => [i.kind, i.status])).toEqual([["shop_disconnected", "sent"]]);
    // The home page answers "is it working?" in one line each.
    const home = (await (await signedInOwner({ tenantId: tenant.id })).b.get("/home")).text;
    const line = (name: string) => home.match(new RegExp(`data-health="${name}"[^>]*>([^<]*(?:<!-- -->)?[^<]*)<`))?.[0] ?? "";
    expect(line("connection")).toContain("Webshop Skal forbindes igen");
    expect(line("lastOrder")).toContain("Seneste ordre modtaget: endnu ingen");
    expect(line("webhooks")).toContain("Webhooks: kommer frem");
  });
});

describe("webhooks_missing", () => {
  it("a reconciliation that finds an order no webhook brought says how many and since when; once per incident", async () => {
    const router = shopRouter();
    setOutboundFetch(router.fetch);
    const woo = fakeWooCommerce();
    router.routes.set("silent.woo.example.com", woo.fetch);
    const i = await activeIntegration({ module: "woocommerce", settings: { siteUrl: "https://silent.woo.example.com", consumerKey: "ck_x", consumerSecret: "cs_x", webhookSecret: "s" } });
    const tenantId = (await call("GET", `/api/staff/integrations/${i.id}`)).json.tenantId;
    const owner = await addUser(tenantId, "owner");
    const delivered = demoOrder(9201, 9201, {}, later(i.startAt, 1));
    const lost = [demoOrder(9202, 9202, {}, later(i.startAt, 2)), demoOrder(9203, 9203, {}, later(i.startAt, 3))];
    for (const o of [delivered, ...lost]) woo.put(o);
    expect((await postWoo(i.id, delivered, "s")).status).toBe(200);
    await waitForOrder(i.id, "9201");

    await handleMessage(new TransferContext(env), { type: "reconcile", integrationId: i.id }, 1);
    expect(mail.sent).toHaveLength(1);
    expect(mail.sent[0].to).toBe(owner.email);
    const home = (await (await signedInOwner({ tenantId })).b.get("/home")).text;
    expect(home).toMatch(/data-health="webhooks" class="field-error">Webhooks: stille: ordrer kom ikke med webhook/);
    expect(home).toMatch(/data-health="lastTransfer">Seneste overførsel: \d/);
    expect(mail.to(owner.email)[0].subject).toBe("2 ordrer fra WooCommerce kom ikke med webhook");
    const { translator } = await import("../../src/words/i18n");
    expect(mail.to(owner.email)[0].text).toContain(`den første er fra ${translator("da").when(lost[0].date_created_gmt + "Z")}`);

    // Another lost order while the incident is open: no second mail.
    woo.put(demoOrder(9204, 9204, {}, later(i.startAt, 4)));
    await handleMessage(new TransferContext(env), { type: "reconcile", integrationId: i.id }, 1);
    expect(mail.to(owner.email)).toHaveLength(1);
    // A later sweep finds nothing missing: the incident ends; the next lost order is a new one.
    const inAnHour = () => new Date(Date.now() + 3600_000);
    await handleMessage(new TransferContext(env, undefined, inAnHour), { type: "reconcile", integrationId: i.id }, 1);
    expect(mail.to(owner.email)).toHaveLength(1);
    woo.put(demoOrder(9205, 9205, {}, later(i.startAt, 5)));
    await handleMessage(new TransferContext(env, undefined, inAnHour), { type: "reconcile", integrationId: i.id }, 1);
    expect(mail.to(owner.email)).toHaveLength(2);
    expect(mail.to(owner.email)[1].subject).toBe("1 ordrer fra WooCommerce kom ikke med webhook");
  });
});

describe("import_paused and import_completed", () => {
  const imp = (id: string) => call("GET", `/api/staff/imports/${id}`).then((r) => r.json);
  const waitImport = (id: string, until: (i: any) => boolean) => vi.waitFor(async () => {
    const i = await imp(id);
    if (!until(i)) throw new Error(`not yet: ${i.status}`);
    return i;
  }, { timeout: 20000, interval: 150 });

  it("a paused import says why and what to do; resumed and completed, the report's numbers; members get neither", async () => {
    const { tenantId, integrationId, fromDate } = await importable(6);
    const owner = await addUser(tenantId, "owner", "en");
    const member = await addUser(tenantId, "member");
    const id = (await call("POST", "/api/staff/imports", { integrationId, fromDate, estimatedOrders: 4 })).json.id;
    expect((await call("POST", `/api/staff/imports/${id}/test-transfer`)).status).toBe(200);
    expect((await call("POST", `/api/staff/imports/${id}/approve`, { note: "ok" })).status).toBe(200);
    await call("POST", `/api/staff/imports/${id}/start`);
    await waitImport(id, (i) => i.status === "paused");
    await vi.waitFor(() => expect(mail.sent).toHaveLength(1));
    const paused = mail.sent[0];
    expect(paused.to).toBe(owner.email);
    expect(paused.subject).toBe("The import of earlier orders into Webshop DK is paused");
    expect(paused.text).toContain("The import found 6 orders, more than 25 % above the 4 the quote is based on.");
    expect(paused.text).toContain("Support sends you a new quote");
    expect(paused.text).toContain(`https://orderbridge.test/imports/${id}?lang=en`);
    // Still paused: a second try changes nothing and tells nothing.
    expect((await call("POST", `/api/staff/imports/${id}/resume`)).status).toBe(409);

    expect((await call("PATCH", `/api/staff/imports/${id}`, { estimatedOrders: 6 })).status).toBe(200);
    expect((await call("POST", `/api/staff/imports/${id}/resume`)).status).toBe(200);
    const done = await waitImport(id, (i) => i.status === "completed");
    await vi.waitFor(() => expect(mail.sent).toHaveLength(2));
    const completed = mail.sent[1];
    expect(completed.subject).toBe(`The import into Webshop DK is completed: ${done.progress.transferred} orders transferred`);
    expect(completed.text).toContain(`Found: 6. Transferred: ${done.progress.transferred}. Failed: 1. Skipped (e.g. already transferred): ${done.progress.skipped}.`);
    expect(completed.text).toContain("Product missing: 1");
    expect(completed.text).toContain("Create the product in the accounting system");
    expect(mail.to(member.email)).toHaveLength(0);
    const items = await outbox(tenantId);
    expect(items.map((i) => i.kind).sort()).toEqual(["import_completed", "import_paused"]);
    expect(items.every((i) => i.importId === id)).toBe(true);
  });

  it("a staff pause is told; after resume a second pause is a new incident", async () => {
    const { tenantId, integrationId, fromDate } = await importable(3);
    const owner = await addUser(tenantId, "owner");
    const id = (await call("POST", "/api/staff/imports", { integrationId, fromDate, estimatedOrders: 50 })).json.id;
    await call("POST", `/api/staff/imports/${id}/test-transfer`);
    await call("POST", `/api/staff/imports/${id}/approve`, { note: "ok" });
    // Running (as after start, without its first page on the queue yet), then paused by staff.
    const running = () => env.DB.prepare("UPDATE imports SET status = 'running' WHERE id = ?").bind(id).run();
    await running();
    expect((await call("POST", `/api/staff/imports/${id}/pause`)).status).toBe(200);
    expect(mail.to(owner.email).map((m) => m.subject)).toEqual(["Importen af tidligere ordrer til Webshop DK er sat på pause"]);
    expect(mail.sent[0].text).toContain("Support har sat importen på pause.");
    expect(mail.sent[0].text).toContain("Du behøver ikke gøre noget");
    expect((await call("POST", `/api/staff/imports/${id}/pause`)).status).toBe(409);
    expect(mail.sent).toHaveLength(1);
    expect((await call("POST", `/api/staff/imports/${id}/resume`)).status).toBe(200);
    await waitImport(id, (i) => i.status === "completed");
    await running();
    expect((await call("POST", `/api/staff/imports/${id}/pause`)).status).toBe(200);
    expect(mail.to(owner.email).filter((m) => m.subject.includes("pause"))).toHaveLength(2);
  });
});
