import { afterEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { setOutboundFetch } from "../../src/lib/outbound";
import { handleMessage } from "../../src/queue";
import { TransferContext } from "../../src/transfers/transfer";
import { fakeWooCommerce, shopRouter } from "../fakes/shops";
import { call, sandboxDocuments, waitImport } from "../helpers";
import { wooImportOf130 } from "./woo-import";

afterEach(() => setOutboundFetch());


describe("an import fetching pages from WooCommerce", () => {
  it("a shop that fails mid-run pauses the import with a clear reason; resume goes on from the stored page; nothing twice", async () => {
    const woo = fakeWooCommerce("ck_x", "cs_x");
    const router = shopRouter();
    let failPage2 = true;
    router.routes.set("shop.example.com", async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (failPage2 && url.searchParams.get("page") === "2" && !url.searchParams.has("modified_after")) {
        failPage2 = false;
        return new Response("<html>502 Bad Gateway</html>", { status: 502, headers: { "content-type": "text/html" } });
      }
      return woo.fetch(input, init);
    });
    setOutboundFetch(router.fetch);
    const { tenant: t, integration: i, importId: id } = await wooImportOf130(woo, 800000, 5000);
    expect((await call("POST", `/api/staff/imports/${id}/test-transfer`)).json.testTransfer.orderId).toBe("800001");
    await call("POST", `/api/staff/imports/${id}/approve`, { note: "ok by mail" });
    await call("POST", `/api/staff/imports/${id}/start`);

    const paused = await waitImport(id, (x) => x.status === "paused");
    expect(paused.pauseReason).toBe("shop_unavailable");
    expect(paused.progress.found).toBe(100); // page 1 recorded; page 2 not lost, not counted
    const audit = await env.DB.prepare("SELECT details FROM audit_log WHERE target_id = ? AND action = 'import.shop_unavailable'").bind(id).first<{ details: string }>();
    expect(audit!.details).toContain("502");

    expect((await call("POST", `/api/staff/imports/${id}/resume`)).json.status).toBe("running");
    const done = await waitImport(id, (x) => x.status === "completed");
    expect(done.progress).toEqual({ found: 130, transferred: 130, failed: 0, skipped: 0, pending: 0, creditNotes: { transferred: 0, failed: 0 } });
    expect(done.billing.fromIncluded).toBe(130);
    expect(await sandboxDocuments(i.id)).toHaveLength(130);
    expect((await call("GET", `/api/staff/tenants/${t.id}/usage`)).json.transferredOrders).toBe(130);

    // A page message delivered again (an old sequence number) changes nothing.
    await handleMessage(new TransferContext(env), { type: "import_page", importId: id, phase: "run", seq: 1 }, 1);
    const after = (await call("GET", `/api/staff/imports/${id}`)).json;
    expect(after.progress.found).toBe(130);
    expect(after.status).toBe("completed");
  });
});
