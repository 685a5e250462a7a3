import { FakeBilly, type FakeBillyInvoice } from "../../fakes/billy";
import { creditNoteSuite, type NoteView } from "./consumer-suite";

creditNoteSuite(
  "Billy",
  () => {
    const fake = new FakeBilly();
    fake.addProduct("SKU-2");
    const productNo = (id: string) => fake.products.find((p) => p.id === id)!.productNo;
    /** A draft by its id, an approved invoice by its invoice no. */
    const find = (d: { type: string; number: string }) => fake.invoices.find((i) => (d.type === "booked" ? i.invoiceNo === d.number : i.id === d.number))!;
    const view = (i: FakeBillyInvoice): NoteView => {
      if (i.type !== "creditNote") throw new Error(`${i.id} is not a credit note`);
      return {
        lines: i.lines.map((l) => [productNo(l.productId), l.quantity, l.unitPrice]),
        credits: i.creditedInvoiceId!,
        contact: i.contactId,
        currency: i.currencyId,
        booked: i.state === "approved",
        reference: i.externalId ?? "",
      };
    };
    return {
      module: "billy",
      labels: { shipping: "SHIP", amount: "SHIP" },
      start: () => ({ fetch: fake.fetch, settings: { accessToken: fake.token, shippingProductNo: "SHIP" } }),
      invoice: (d) => {
        const i = find(d);
        return { id: i.id, contact: i.contactId, currency: i.currencyId };
      },
      note: (d) => view(find(d)),
      creditNotes: () => fake.creditNotes().map(view),
      loseCreditNoteAnswer: () => fake.loseAnswerOf.push({ method: "POST", path: "/v2/invoices", times: 1 }),
      loseInvoiceAnswer: () => fake.loseAnswerOf.push({ method: "POST", path: "/v2/invoices", times: 1 }),
    };
  },
  7201,
);
