/**
 * The canonical order: one shop-independent model that every shop mapper produces and every
 * accounting module reads. Money is integer minor units of `currency` (its ISO 4217 decimals: øre, cents,
 * yen, fils); VAT rates are basis points (2500 = 25 %). Times are ISO 8601 UTC strings.
 */
export interface CanonicalOrder {
  /** The shop's own id, as a string (Shopify `id`, WooCommerce `id`, Magento `entity_id`). */
  shopOrderId: string;
  /** The number the merchant sees (Shopify `name` "#1001", WooCommerce `number`, Magento `increment_id`). */
  orderNumber: string;
  createdAt: string;
  updatedAt: string;
  /** The shop's state that allowed-states rules look at (Shopify financial_status, WooCommerce/Magento status). */
  state: string;
  cancelled: boolean;
  /** The document currency (R24): every amount of the order is in it. An ISO 4217 code. */
  currency: string;
  /**
   * The same order's total in the shop's other currency, when the shop states both (Shopify shop and
   * presentment money, Magento base and order amounts) and they differ: the exchange rate it implies.
   */
  otherTotal?: { currency: string; gross: number };
  /** Whether the shop's prices were entered including VAT (informational; amounts below are split already). */
  pricesIncludeVat: boolean;
  customer: Customer;
  lines: OrderLine[];
  shipping: ChargeLine[];
  fees: ChargeLine[];
  /** The totals as the shop states them. */
  totals: { net: number; vat: number; gross: number };
  note?: string | null;
}

export interface Customer {
  name: string | null;
  email: string | null;
  company: string | null;
  /** The buyer's VAT (or CVR) number, when the shop gives one: a buyer with one is a company. */
  vatNumber?: string | null;
  /** ISO 3166-1 alpha-2 of the billing address. */
  countryCode: string | null;
  address: string | null;
  zip: string | null;
  city: string | null;
}

export interface OrderLine {
  sku: string | null;
  description: string;
  /** Whole units. */
  quantity: number;
  /** Net unit price before discounts. */
  unitPriceNet: number;
  /** The line's total discount, net. */
  discountNet: number;
  /** quantity × unitPriceNet − discountNet. */
  netTotal: number;
  vatRate: number;
  vatAmount: number;
}

export interface ChargeLine {
  description: string;
  netAmount: number;
  vatRate: number;
  vatAmount: number;
}

/** The document an accounting system created for an order. */
export interface DocumentRef {
  type: "draft" | "booked";
  number: string;
}
