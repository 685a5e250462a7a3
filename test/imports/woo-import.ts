import { demoOrder } from "../../src/modules/sandbox/shop";
import type { fakeWooCommerce } from "../fakes/shops";
import { activate, call, createIntegration, createTenant } from "../helpers";

const DAY = 86400_000;

/**
 * An active WooCommerce → sandbox integration whose fake shop holds 130 orders of a month ago (ids from
 * `firstId + 1`, numbers from `firstNumber + 1`), and an import of them estimated at 130.
 */
export async function wooImportOf130(woo: ReturnType<typeof fakeWooCommerce>, firstId: number, firstNumber: number) {
  const tenant = await createTenant();
  const integration = await createIntegration(tenant.id, {
    shop: { module: "woocommerce", settings: { siteUrl: "https://shop.example.com", consumerKey: "ck_x", consumerSecret: "cs_x", webhookSecret: "w" } },
    accounting: { module: "sandbox", settings: {} },
  });
  await activate(integration.id);
  for (let n = 1; n <= 130; n++) {
    const at = new Date(Date.now() - 30 * DAY + n * 60_000).toISOString();
    woo.put(demoOrder(firstId + n, firstNumber + n, { createdAt: at }, at));
  }
  const fromDate = new Date(Date.now() - 40 * DAY).toISOString().slice(0, 10);
  const { id } = (await call("POST", "/api/staff/imports", { integrationId: integration.id, fromDate, estimatedOrders: 130 })).json;
  return { tenant, integration, importId: id as string };
}
