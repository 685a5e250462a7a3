import { afterEach, describe, expect, it } from "vitest";
import { setOutboundFetch } from "../../src/lib/outbound";
import { fakeWooCommerce, shopRouter } from "../fakes/shops";
import { call, sandboxDocuments, waitImport } from "../helpers";
import { wooImportOf130 } from "./woo-import";

afterEach(() => setOutboundFetch());


describe("a shop that is busy (429 with Retry-After) during an import", () => {
  it("preflight and run wait it out: the preflight counts every order, the import completes, no order failed", async () => {
    const woo = fakeWooCommerce("ck_x", "cs_x");
    const router = shopRouter();
    let busy = 0;
    router.routes.set("shop.example.com", async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      // Page 2 answers 429 Retry-After: 1 seven times in a row (more than the queue's 6 retries of a message).
      if (!url.searchParams.has("modified_after") && url.searchParams.get("page") === "2" && busy++ < 7)
        return new Response(JSON.stringify({ code: "too_many_requests", message: "Too many requests" }), { status: 429, headers: { "retry-after": "1", "content-type": "application/json" } });
      return woo.fetch(input, init);
    });
    setOutboundFetch(router.fetch);
    const { integration: i, importId: id } = await wooImportOf130(woo, 810000, 6000);
    await call("POST", `/api/staff/imports/${id}/preflight`);
    const pf = await waitImport(id, (x) => x.preflight?.status === "done");
    expect(pf.preflight.ordersFound).toBe(130);
    expect(pf.preflight.errorsByCategory).toEqual({});
    expect((await call("POST", `/api/staff/imports/${id}/test-transfer`)).json.testTransfer.status).toBe("transferred");
    await call("POST", `/api/staff/imports/${id}/approve`, { note: "ok" });
    await call("POST", `/api/staff/imports/${id}/start`);
    const done = await waitImport(id, (x) => x.status === "completed");
    expect(busy).toBeGreaterThan(7); // page 2 was refused seven times, then read
    expect(done.progress).toEqual({ found: 130, transferred: 130, failed: 0, skipped: 0, pending: 0, creditNotes: { transferred: 0, failed: 0 } });
    expect(await sandboxDocuments(i.id)).toHaveLength(130);
  }, 180_000);
});
