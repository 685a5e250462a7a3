/**
 * A fake Shopify GraphQL Admin API, built from shopify.dev's documentation (reference.md,
 * reference-wave2.md §8), that enforces what the real one does:
 * - Query cost (shopify.dev/docs/api/usage/limits#cost-calculation): the requested cost is computed from
 *   the query itself (an object 1, a connection 2 + first × its node, scalars 0, a mutation 10); more than
 *   1,000 for one query is refused (MAX_COST_EXCEEDED); a bucket of 2,000 points restored at 100 points/s
 *   per shop; a query that asks for more than is available answers THROTTLED with
 *   `extensions.cost.throttleStatus`; what the answer did not use (requested − actual) is given back.
 * - `orders(first, after, query, sortKey)` (search on created_at/updated_at, cursor paging), `order(id)` with
 *   its `lineItems(first, after)` paged.
 * - Bulk operations: `bulkOperationRunQuery(query, groupObjects)` checks the query (at least one and at
 *   most five connections, nesting at most two), at most five running per shop (API 2026-01); an operation
 *   runs for `bulkMs`, then is COMPLETED with `url` to a JSONL file (each order followed by its line items
 *   and shipping lines, `__parentId`), served with Range from `FILES_ORIGIN`; no objects → `url: null`.
 *   Faults: `failNextBulk` (FAILED with an errorCode, e.g. ACCESS_DENIED), `expireFiles()` (the signed URLs
 *   answer 403 as expired storage links do).
 * Every query is logged in `state.queries`.
 */
import type { FetchFn } from "../../src/lib/outbound";

type Obj = Record<string, any>;

export const SHOPIFY_FILES_HOST = "shopify-files.fake";

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const headerOf = (init: RequestInit | undefined, name: string) => new Headers(init?.headers).get(name);

// ---- a small GraphQL selection parser, enough for the cost calculation ----

export interface Field {
  name: string;
  args: string;
  children: Field[] | null;
}

/** The top-level selection set of a GraphQL document (after any operation header). */
export function parseSelection(src: string): Field[] {
  let i = src.indexOf("{");
  if (i < 0) throw new Error("no selection set");
  const ws = () => {
    while (i < src.length && /[\s,]/.test(src[i])) i++;
  };
  const name = () => {
    const m = /^[A-Za-z_]\w*/.exec(src.slice(i));
    if (!m) throw new Error(`GraphQL syntax error at ${i}: ${JSON.stringify(src.slice(i, i + 20))}`);
    i += m[0].length;
    return m[0];
  };
  const args = () => {
    const start = ++i;
    for (let depth = 1; depth > 0; i++) {
      if (i >= src.length) throw new Error("unbalanced arguments");
      const ch = src[i];
      if (ch === '"') {
        for (i++; src[i] !== '"'; i++) if (src[i] === "\\") i++;
      } else if (ch === "(") depth++;
      else if (ch === ")") depth--;
    }
    return src.slice(start, i - 1);
  };
  const set = (): Field[] => {
    i++; // "{"
    const fields: Field[] = [];
    for (;;) {
      ws();
      if (src[i] === "}") {
        i++;
        return fields;
      }
      let n = name();
      ws();
      if (src[i] === ":") {
        i++;
        ws();
        n = name(); // an alias: the field is what follows
        ws();
      }
      const a = src[i] === "(" ? args() : "";
      ws();
      fields.push({ name: n, args: a, children: src[i] === "{" ? set() : null });
    }
  };
  return set();
}

const argValue = (args: string, key: string, variables: Obj) => {
  const m = new RegExp(`\\b${key}:\\s*(\\$\\w+|-?\\d+|"(?:[^"\\\\]|\\\\.)*")`).exec(args);
  if (!m) return undefined;
  const v = m[1];
  return v.startsWith("$") ? variables[v.slice(1)] : v.startsWith('"') ? JSON.parse(v) : Number(v);
};
const child = (f: Field | undefined, name: string) => f?.children?.find((c) => c.name === name);
/** A connection's node selection (`nodes { … }` or `edges { node { … } }`). */
const nodeOf = (f: Field) => child(f, "nodes") ?? child(child(f, "edges"), "node");
const isConnection = (f: Field) => !!f.children && !!nodeOf(f);

/**
 * Shopify's requested cost of a selection: an object 1, a connection 2 + first × (1 + its node's fields),
 * a list that takes `first` first × its object (counted as the most it may return).
 */
export function requestedCost(fields: Field[], variables: Obj): number {
  let total = 0;
  for (const f of fields) {
    if (!f.children) continue;
    const first = argValue(f.args, "first", variables);
    if (isConnection(f) && typeof first === "number") {
      const rest = f.children.filter((c) => c.name !== "nodes" && c.name !== "edges");
      total += 2 + first * (1 + requestedCost(nodeOf(f)!.children ?? [], variables)) + requestedCost(rest, variables);
    } else if (typeof first === "number") total += first * (1 + requestedCost(f.children, variables)); // a list with `first` (Order.refunds)
    else total += 1 + requestedCost(f.children, variables);
  }
  return total;
}

/** The objects an answer actually holds (its actual cost, roughly as Shopify counts it). */
const objectsIn = (v: unknown): number =>
  Array.isArray(v) ? v.reduce((a, x) => a + objectsIn(x), 0) : v && typeof v === "object" ? 1 + Object.values(v).reduce<number>((a, x) => a + objectsIn(x), 0) : 0;

// ---- the fake ----

export interface FakeShopifyOptions {
  accessToken?: string;
  /** The bucket: 2,000 points restored at 100/s (standard plans); tests may restore faster. */
  capacity?: number;
  restoreRate?: number;
  maxQueryCost?: number;
  /** How long a bulk operation runs before it is COMPLETED. */
  bulkMs?: number;
  now?: () => number;
  /** Where the export files are served (the signed storage links); default https://shopify-files.fake. */
  filesOrigin?: string;
}

interface BulkOp {
  id: string;
  createdAt: number;
  status: "RUNNING" | "COMPLETED" | "FAILED" | "EXPIRED" | "CANCELED";
  errorCode: string | null;
  file: string;
  roots: number;
  objects: number;
  failAs?: { errorCode: string; status?: "FAILED" | "CANCELED" };
}

/** The JSONL Shopify writes for orders with groupObjects: each order, then its line items and shipping lines. */
export function bulkJsonl(nodes: Obj[]) {
  let out = "";
  for (const node of nodes) {
    const { lineItems, shippingLines, refunds, ...order } = node;
    // Refunds are a list (inline on the order line); their connections come as the refund's children.
    const inline = (refunds ?? []).map(({ refundLineItems, refundShippingLines, ...r }: Obj) => r);
    out += JSON.stringify({ ...order, ...(refunds ? { refunds: inline } : {}) }) + "\n";
    for (const l of lineItems?.nodes ?? []) out += JSON.stringify({ __typename: "LineItem", ...l, __parentId: node.id }) + "\n";
    for (const s of shippingLines?.nodes ?? []) out += JSON.stringify({ __typename: "ShippingLine", ...s, __parentId: node.id }) + "\n";
    for (const r of refunds ?? []) {
      for (const l of r.refundLineItems?.nodes ?? []) out += JSON.stringify({ __typename: "RefundLineItem", ...l, __parentId: r.id }) + "\n";
      for (const s of r.refundShippingLines?.nodes ?? []) out += JSON.stringify({ __typename: "RefundShippingLine", ...s, __parentId: r.id }) + "\n";
    }
  }
  return out;
}

export function fakeShopify(accessTokenOrOptions: string | FakeShopifyOptions = {}) {
  const o: FakeShopifyOptions = typeof accessTokenOrOptions === "string" ? { accessToken: accessTokenOrOptions } : accessTokenOrOptions;
  const accessToken = o.accessToken ?? "shpat_x";
  const capacity = o.capacity ?? 2000;
  const restoreRate = o.restoreRate ?? 100;
  const maxQueryCost = o.maxQueryCost ?? 1000;
  const now = o.now ?? (() => Date.now());
  const filesOrigin = (o.filesOrigin ?? `https://${SHOPIFY_FILES_HOST}`).replace(/\/+$/, "");
  const orders = new Map<string, Obj>();
  const bucket = { available: capacity, at: now() };
  const ops = new Map<string, BulkOp>();
  const state = {
    /** Forces THROTTLED answers for the next n queries (as if another app spent the bucket). */
    throttleNext: 0,
    /** The next bulk operation ends FAILED (or CANCELED) with this errorCode. */
    failNextBulk: null as null | { errorCode: string; status?: "FAILED" | "CANCELED" },
    filesExpired: false,
    queries: [] as { query: string; variables: Obj; requested: number }[],
    throttled: 0,
    pointsSpent: 0,
    fileReads: [] as (string | null)[],
  };

  const refill = () => {
    const t = now();
    bucket.available = Math.min(capacity, bucket.available + ((t - bucket.at) / 1000) * restoreRate);
    bucket.at = t;
  };
  const throttleStatus = () => ({ maximumAvailable: capacity, currentlyAvailable: Math.floor(bucket.available), restoreRate });

  const sortedMatching = (search: string, sortKey: string) => {
    const sortField = sortKey === "CREATED_AT" ? "createdAt" : "updatedAt";
    const conditions = [...search.matchAll(/(created_at|updated_at):(>=|<=|<|>)'([^']+)'/g)].map(([, f, op, v]) => ({
      field: f === "created_at" ? "createdAt" : "updatedAt",
      op,
      at: Date.parse(v),
    }));
    return [...orders.values()]
      .filter((n) =>
        conditions.every(({ field, op, at }) => {
          const t = Date.parse(n[field]);
          return op === ">=" ? t >= at : op === ">" ? t > at : op === "<=" ? t <= at : t < at;
        }),
      )
      .sort((a, b) => Date.parse(a[sortField]) - Date.parse(b[sortField]) || Number(a.id.split("/").pop()) - Number(b.id.split("/").pop()));
  };

  /** An order node with its line items cut to the query's page (`lineItems(first:, after:)`). */
  const withLines = (node: Obj, lineField: Field | undefined, variables: Obj, after?: string) => {
    const first = Number(argValue(lineField?.args ?? "", "first", variables) ?? 250);
    const all: Obj[] = node.lineItems?.nodes ?? [];
    const start = after ? Number(atob(after)) : 0;
    const nodes = all.slice(start, start + first);
    const end = start + nodes.length;
    return { ...node, lineItems: { pageInfo: { hasNextPage: end < all.length, endCursor: nodes.length ? btoa(String(end)) : null }, nodes } };
  };

  const opStatus = (op: BulkOp) => {
    if (op.status === "RUNNING" && now() - op.createdAt >= (o.bulkMs ?? 1500)) {
      if (op.failAs) {
        op.status = op.failAs.status ?? "FAILED";
        op.errorCode = op.failAs.errorCode;
      } else op.status = "COMPLETED";
    }
    return op;
  };

  function runBulk(variables: Obj, query: string) {
    const inner = String(variables.query ?? "");
    let fields: Field[];
    try {
      fields = parseSelection(inner);
    } catch (e) {
      return { bulkOperationRunQuery: { bulkOperation: null, userErrors: [{ field: ["query"], message: `Invalid bulk query: ${(e as Error).message}`, code: "INVALID" }] } };
    }
    let connections = 0;
    let deepest = 0;
    const walk = (fs: Field[], depth: number) => {
      for (const f of fs) {
        if (!f.children) continue;
        const c = isConnection(f);
        if (c) {
          connections++;
          deepest = Math.max(deepest, depth + 1);
        }
        walk(f.children, depth + (c ? 1 : 0));
      }
    };
    walk(fields, 0);
    const userError = (message: string) => ({ bulkOperationRunQuery: { bulkOperation: null, userErrors: [{ field: ["query"], message, code: "INVALID" }] } });
    if (!/groupObjects:\s*(true|false|\$\w+)/.test(query)) return userError("groupObjects is required");
    if (connections < 1) return userError("Bulk queries must contain at least one connection.");
    if (connections > 5) return userError("Bulk queries cannot contain more than 5 connections.");
    if (deepest > 2) return userError("Bulk queries cannot contain connections with a nesting depth greater than 2.");
    const running = [...ops.values()].filter((op) => opStatus(op).status === "RUNNING").length;
    if (running >= 5)
      return { bulkOperationRunQuery: { bulkOperation: null, userErrors: [{ field: null, message: "A bulk query operation for this app and shop is already in progress (limit 5).", code: "OPERATION_IN_PROGRESS" }] } };
    const ordersField = fields.find((f) => f.name === "orders");
    const search = String(argValue(ordersField?.args ?? "", "query", {}) ?? "");
    const sortKey = /sortKey:\s*(\w+)/.exec(ordersField?.args ?? "")?.[1] ?? "CREATED_AT";
    const nodes = sortedMatching(search, sortKey);
    const id = `gid://shopify/BulkOperation/${1000 + ops.size + 1}`;
    const op: BulkOp = {
      id,
      createdAt: now(),
      status: "RUNNING",
      errorCode: null,
      file: bulkJsonl(nodes),
      roots: nodes.length,
      objects: nodes.reduce((a, n) => a + 1 + (n.lineItems?.nodes?.length ?? 0) + (n.shippingLines?.nodes?.length ?? 0), 0),
      failAs: state.failNextBulk ?? undefined,
    };
    state.failNextBulk = null;
    ops.set(id, op);
    return { bulkOperationRunQuery: { bulkOperation: { id, status: "CREATED" }, userErrors: [] } };
  }

  function bulkStatus(id: string) {
    const op = ops.get(id);
    if (!op) return { bulkOperation: null };
    opStatus(op);
    const done = op.status === "COMPLETED";
    return {
      bulkOperation: {
        id: op.id,
        status: op.status,
        errorCode: op.errorCode,
        url: done && op.roots ? `${filesOrigin}/bulk/${encodeURIComponent(op.id.split("/").pop()!)}.jsonl?sig=fake` : null,
        partialDataUrl: null,
        objectCount: done ? String(op.objects) : "0",
        rootObjectCount: done ? String(op.roots) : "0",
      },
    };
  }

  function serveFile(url: URL, init?: RequestInit) {
    if (state.filesExpired)
      return new Response(`<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>`, {
        status: 400,
        headers: { "content-type": "application/xml" },
      });
    const n = /\/bulk\/(\d+)\.jsonl$/.exec(url.pathname)?.[1];
    const op = n ? ops.get(`gid://shopify/BulkOperation/${n}`) : undefined;
    if (!op || op.status !== "COMPLETED") return new Response("<Error><Code>NoSuchKey</Code></Error>", { status: 404, headers: { "content-type": "application/xml" } });
    const bytes = new TextEncoder().encode(op.file);
    const range = headerOf(init, "range");
    state.fileReads.push(range);
    const from = range ? Number(/bytes=(\d+)-/.exec(range)?.[1] ?? 0) : 0;
    if (from >= bytes.length && bytes.length) return new Response(null, { status: 416 });
    return new Response(bytes.slice(from), { status: range ? 206 : 200, headers: { "content-type": "application/jsonl" } });
  }

  const fetch: FetchFn = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.host === SHOPIFY_FILES_HOST || url.href.startsWith(`${filesOrigin}/bulk/`)) return serveFile(url, init);
    if (init?.method !== "POST" || !/^\/admin\/api\/[\d-]+\/graphql\.json$/.test(url.pathname)) return json({ errors: "Not Found" }, 404);
    if (headerOf(init, "x-shopify-access-token") !== accessToken) return json({ errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" }, 401);
    const { query, variables = {} } = JSON.parse(String(init.body)) as { query: string; variables: Obj };
    let fields: Field[];
    try {
      fields = parseSelection(query);
    } catch (e) {
      return json({ errors: [{ message: (e as Error).message, extensions: { code: "GRAPHQL_PARSE_FAILED" } }] });
    }
    const mutation = /^\s*mutation\b/.test(query);
    const requested = mutation ? 10 : requestedCost(fields, variables);
    state.queries.push({ query, variables, requested });
    if (requested > maxQueryCost)
      return json({
        errors: [{ message: `Query cost is ${requested}, which exceeds the single query max cost limit (${maxQueryCost}).`, extensions: { code: "MAX_COST_EXCEEDED", cost: requested, maxCost: maxQueryCost } }],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: throttleStatus() } },
      });
    refill();
    if (state.throttleNext > 0 || requested > bucket.available) {
      if (state.throttleNext > 0) {
        state.throttleNext--;
        bucket.available = Math.min(bucket.available, Math.max(0, requested - restoreRate * 2)); // another app spent it
      }
      state.throttled++;
      return json({
        errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } }],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: throttleStatus() } },
      });
    }
    bucket.available -= requested;
    let data: Obj;
    const top = fields[0];
    if (top.name === "bulkOperationRunQuery") data = runBulk(variables, query);
    else if (top.name === "bulkOperation") data = bulkStatus(String(argValue(top.args, "id", variables)));
    else if (top.name === "orders") {
      const first = Number(argValue(top.args, "first", variables));
      const sortKey = /sortKey:\s*(\w+)/.exec(top.args)?.[1] ?? "ID";
      const matching = sortedMatching(String(argValue(top.args, "query", variables) ?? ""), sortKey);
      const start = variables.after ? Number(atob(variables.after)) : 0;
      const lineField = child(nodeOf(top), "lineItems");
      const nodes = matching.slice(start, start + first).map((n) => withLines(n, lineField, variables));
      const end = start + nodes.length;
      data = { orders: { pageInfo: { hasNextPage: end < matching.length, endCursor: nodes.length ? btoa(String(end)) : null }, nodes } };
    } else if (top.name === "order") {
      const node = orders.get(String(argValue(top.args, "id", variables)));
      const lineField = child(top, "lineItems");
      data = { order: node ? withLines(node, lineField, variables, lineField && /after:/.test(lineField.args) ? (argValue(lineField.args, "after", variables) as string | undefined) : undefined) : null };
    } else return json({ errors: [{ message: `Field '${top.name}' doesn't exist on type 'QueryRoot'`, extensions: { code: "undefinedField" } }] });
    const actual = mutation ? 10 : Math.min(requested, objectsIn(data));
    bucket.available = Math.min(capacity, bucket.available + (requested - actual));
    state.pointsSpent += actual;
    return json({ data, extensions: { cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: throttleStatus() } } });
  };

  return {
    orders,
    state,
    fetch,
    put: (n: Obj) => orders.set(n.id, n),
    /** Spends the whole bucket (another app's queries). */
    drain: () => {
      refill();
      bucket.available = 0;
    },
    available: () => {
      refill();
      return bucket.available;
    },
    bulkOperations: () => [...ops.values()].map((op) => ({ id: op.id, status: opStatus(op).status, roots: op.roots })),
    expireFiles: () => (state.filesExpired = true),
  };
}
