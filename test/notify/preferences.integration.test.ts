import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { setOutboundFetch } from "../../src/lib/outbound";
import { setSender } from "../../src/notify/sender";
import { FakeEconomic } from "../fakes/economic";
import shopifyDk from "../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";
import { postShopify } from "../helpers";
import { csrfOf, signedInOwner } from "../pages/helpers";
import { delivery, runBatch, setup, soon } from "../transfers/transfer-helpers";
import { outbox, useRecordingSender } from "./notify-helpers";

const mail = useRecordingSender();

const checked = (html: string) => [...html.matchAll(/<input type="checkbox" name="kinds" value="([a-z_]+)"( checked="")?/g)].filter((m) => m[2]).map((m) => m[1]);

describe("each user chooses their notifications on /account", () => {
  it("members get the digest only, owners everything, until they choose; the choice and the language are respected", async () => {
    const working = new FakeEconomic();
    setOutboundFetch(working.fetch);
    const { tenant, integration } = await setup("shopify");
    const owner = await signedInOwner({ tenantId: tenant.id });
    const member = await signedInOwner({ tenantId: tenant.id, role: "member" });

    const home = await member.b.get("/home");
    expect(home.text).toContain('href="/account"');
    const mine = await member.b.get("/account");
    expect(mine.status).toBe(200);
    expect(checked(mine.text)).toEqual(["failed_orders_digest"]);
    expect(checked((await owner.b.get("/account")).text)).toEqual(["accounting_auth_failed", "shop_disconnected", "webhooks_missing", "import_paused", "import_completed", "failed_orders_digest"]);

    // The member (a member may send this form) adds credential alerts and chooses English.
    expect((await member.b.post("/account", { kinds: "accounting_auth_failed" })).status).toBe(403); // no CSRF token: refused
    expect(checked((await member.b.get("/account")).text)).toEqual(["failed_orders_digest"]);
    const form = new URLSearchParams({ _csrf: csrfOf(mine.text), language: "en" });
    form.append("kinds", "accounting_auth_failed");
    form.append("kinds", "failed_orders_digest");
    // Two values of one field, as a browser sends checked boxes.
    const { exports } = await import("cloudflare:workers");
    const raw = await exports.default.fetch(
      new Request("https://orderbridge.test/account", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: [...member.b.cookies].map(([k, v]) => `${k}=${v}`).join("; "), "cf-connecting-ip": member.b.ip },
        body: form.toString(),
        redirect: "manual",
      }),
    );
    expect(raw.status).toBe(303);
    const after = await member.b.get("/account");
    expect(checked(after.text)).toEqual(["accounting_auth_failed", "failed_orders_digest"]);
    expect(after.text).toContain('value="en" checked=""');

    // The owner turns credential alerts off.
    const ownerPage = await owner.b.get("/account");
    expect((await owner.b.post("/account", { _csrf: csrfOf(ownerPage.text), kinds: "shop_disconnected", language: "da" })).status).toBe(303);
    expect(checked((await owner.b.get("/account")).text)).toEqual(["shop_disconnected"]);

    setOutboundFetch(new FakeEconomic({ agreementGrantToken: "revoked" }).fetch);
    await runBatch([{ body: delivery(integration.id, { ...shopifyDk, id: 8801, created_at: soon(), updated_at: soon() }) }]);
    expect(mail.sent.map((m) => m.to)).toEqual([member.email]);
    expect(mail.sent[0].subject).toBe("e-conomic refuses access – orders from Shopify → e-conomic are not transferred");
    expect((await outbox(tenant.id)).map((i) => i.to)).toEqual([member.email]);
  });

  it("the language switch in the header is the user's stored language", async () => {
    const { b, userId } = await signedInOwner();
    await b.get("/home?lang=en");
    expect((await env.DB.prepare("SELECT language FROM users WHERE id = ?").bind(userId).first())?.language).toBe("en");
    await b.get("/log?lang=da");
    expect((await env.DB.prepare("SELECT language FROM users WHERE id = ?").bind(userId).first())?.language).toBe("da");
  });
});

describe("the real local send_email binding", () => {
  it("sends through env.EMAIL (miniflare keeps it on the machine) and records its message id", async () => {
    setSender(); // no recorder: the binding
    expect(env).toHaveProperty("EMAIL");
    setOutboundFetch(new FakeEconomic().fetch);
    const { tenant, integration } = await setup("shopify");
    const owner = await signedInOwner({ tenantId: tenant.id });
    expect((await postShopify(integration.id, { id: 1 }, "shp-secret", { topic: "app/uninstalled" })).status).toBe(200);
    const [item] = await outbox(tenant.id);
    expect(item).toMatchObject({ kind: "shop_disconnected", to: owner.email, status: "sent" });
    const row = await env.DB.prepare("SELECT message_id, last_error FROM notifications WHERE id = ?").bind(item.id).first<{ message_id: string; last_error: string | null }>();
    expect(row?.message_id).toMatch(/@orderbridge\.test>?$/);
    expect(row?.last_error).toBeNull();
  });
});
