/**
 * Reading a shop's order JSON: the small checks every shop mapper needs. Errors are
 * TransferError("invalid_order") with the message "<Shop> order: …", so `orderReader("Shopify")`
 * gives the Shopify mapper its own prefix.
 */
import { TransferError } from "../domain/errors";

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A non-empty trimmed string (numbers as their string), else null. */
export function text(v: unknown): string | null {
  if (typeof v === "number") return String(v);
  if (typeof v !== "string") return null;
  const t = v.trim();
  return t === "" ? null : t;
}

/** The non-empty texts of `parts` joined by `sep`, or null when there are none. */
export function joined(parts: unknown[], sep: string): string | null {
  return text(parts.map(text).filter(Boolean).join(sep));
}

/** A plain JSON number, or a non-blank string that Number() reads as a finite number. */
function looseNumber(v: unknown): number {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n)) throw new Error("not a number");
  return n;
}

export function orderReader(shop: string) {
  const invalid = (message: string) => new TransferError("invalid_order", `${shop} order: ${message}`);

  const readTime = (v: unknown, field: string, zonelessIsUtc: boolean): string => {
    if (typeof v !== "string" || v.trim() === "") throw invalid(`${field} is missing`);
    let d: Date;
    if (zonelessIsUtc) {
      const s = v.trim();
      d = new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(s) ? s : `${s.replace(" ", "T")}Z`);
    } else {
      d = new Date(v);
    }
    if (Number.isNaN(d.getTime())) throw invalid(`${field} is not a valid time: ${JSON.stringify(v)}`);
    return d.toISOString();
  };

  return {
    invalid,

    /** The body as an order object. */
    order(raw: unknown): Obj {
      if (!isObj(raw)) throw invalid("the body is not an order object");
      return raw;
    },

    /** The order's id field (number or non-empty string) as a string. */
    orderId(v: unknown, field: string): string {
      if (v === undefined || v === null || v === "") throw invalid(`${field} is missing`);
      if (typeof v !== "number" && typeof v !== "string") throw invalid(`${field} is not a number or string`);
      return String(v);
    },

    /** A non-empty trimmed string; refused when missing or blank. */
    requiredText(v: unknown, field: string): string {
      const t = text(v);
      if (!t) throw invalid(`${field} is missing`);
      return t;
    },

    /** A list of objects; missing (undefined/null) is an empty list. */
    list(v: unknown, field: string): Obj[] {
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v)) throw invalid(`${field} is not a list`);
      return v.map((x, i) => {
        if (!isObj(x)) throw invalid(`${field}[${i}] is not an object`);
        return x;
      });
    },

    /** A time string as read by Date (a time without zone is local time) → ISO UTC. */
    time(v: unknown, field: string): string {
      return readTime(v, field, false);
    },

    /** A time string where one without zone designator ("YYYY-MM-DD HH:MM:SS") is UTC → ISO UTC. */
    utcTime(v: unknown, field: string): string {
      return readTime(v, field, true);
    },

    /**
     * A non-negative whole quantity. `parse` reads the raw value and throws when it is not a number;
     * by default a JSON number or a numeric string.
     */
    quantity(v: unknown, field: string, parse: (v: unknown) => number = looseNumber): number {
      let n: number;
      try {
        n = parse(v);
      } catch {
        throw invalid(`${field} is not a number: ${JSON.stringify(v)}`);
      }
      if (n < 0) throw invalid(`${field} is negative: ${n}`);
      if (!Number.isInteger(n)) throw invalid(`${field} is not a whole number: ${n}`);
      return n;
    },

    /** A VAT rate → basis points via `toBasisPoints`; missing (undefined/null/"") is 0. */
    rate(v: unknown, field: string, toBasisPoints: (v: string | number) => number): number {
      if (v === undefined || v === null || v === "") return 0;
      try {
        return toBasisPoints(v as string | number);
      } catch {
        throw invalid(`${field} is not a number: ${JSON.stringify(v)}`);
      }
    },
  };
}

export type OrderReader = ReturnType<typeof orderReader>;

/** A list of order states from a module setting (`settings[key]`), or `defaults` when it is not a list. */
export function stateList(settings: Record<string, unknown>, key: string, defaults: string[]): string[] {
  const s = settings[key];
  return Array.isArray(s) ? s.map(String) : defaults;
}

/** `{[key]: value}` when there is a value, else nothing (for optional fields of the canonical order). */
export const optional = <K extends string, V>(key: K, value: V | null | undefined) => (value === null || value === undefined ? {} : ({ [key]: value } as { [P in K]: V }));

/** An unreadable order's id and number from the given fields (the first present of each), or null without an id. */
export function identifyBy(idFields: string[], numberFields: string[]) {
  return (raw: unknown): { shopOrderId: string; orderNumber: string } | null => {
    if (!isObj(raw)) return null;
    const id = idFields.map((f) => raw[f]).find((v) => v !== undefined && v !== null);
    if (id === undefined || typeof id === "object") return null;
    const number = numberFields.map((f) => raw[f]).find((v) => v !== undefined && v !== null && typeof v !== "object");
    return { shopOrderId: String(id), orderNumber: String(number ?? id) };
  };
}

/** The refunds of one order as the shop's API lists them, each mapped; none when the client cannot list them. */
export async function listedRefunds<R>(client: () => Promise<{ listRefunds?(shopOrderId: string): Promise<unknown[]> }>, shopOrderId: string, map: (raw: unknown) => R): Promise<R[]> {
  const shop = await client();
  return shop.listRefunds ? (await shop.listRefunds(shopOrderId)).map(map) : [];
}

/** The length of the order JSON's `refunds` list (Shopify, WooCommerce, the sandbox). */
export const refundsListed = (raw: unknown) => (isObj(raw) && Array.isArray(raw.refunds) ? raw.refunds.length : 0);
