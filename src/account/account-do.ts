import { DurableObject } from "cloudflare:workers";
import { allocate, chargeSource, importQuote, remainingIncluded, type PlanTerms } from "../domain/quota";
import { copenhagenMonth } from "../domain/calendar";
import type { ChargeRequest, ChargeResult, ChargeSource } from "./client";
import { instant, requireCount, requireMonth, requirePlan, requireString } from "./validate";
import { getDb } from "../db/client";
import { tenantPlan } from "./prices";

/**
 * The tenant's account: the single writer of its usage (R9–R14). One instance per tenant id
 * (`idFromName(tenantId)`), SQLite storage, RPC methods.
 *
 * Every write is one synchronous `transactionSync` over the SQLite storage, done after any awaited
 * non-storage I/O (the D1 read of the plan), so concurrent calls are applied in one serial order and a
 * retried charge is recognised by its key inside the same transaction that would count it.
 *
 * Reservations for imports (issue 4, item 6). Policy:
 * - `reserve(importId, orders, plan)` holds up to `orders − (orders the import has already charged)` of
 *   the current Copenhagen month's free included orders (free = included − used − held by other imports).
 *   Calling it again (a new estimate, a resumed import) re-sizes the hold; in a new month it moves the
 *   hold to that month.
 * - A live charge sees only the free included orders: held ones are not free, so once only held orders
 *   remain, live orders go to the top-up balance, then extra (R11), and the import keeps its quote.
 * - A charge of that import (`importId`) in the hold's month takes one held order (source `included`,
 *   used +1, held −1); with no hold left it follows the ordinary order: free included → top-up → extra.
 *   Top-up balance is never held: it is consumed in the serial order of the charges.
 * - `release(importId)` (import completed or cancelled) drops what is still held: it is free again.
 * - The import's billing (`importBilling`) is computed from the very charge rows whose insertion bumps
 *   the month counters in the same transaction, so the import's figures and the month's usage agree by
 *   construction (a held order is never counted as used until an order is charged against it).
 *
 * The D1 table `usage_months` is a copy for reports: an alarm writes changed months shortly after a
 * charge (retried by the alarm machinery on failure); `months()` returns every month and
 * `syncUsageCopy(true)` rewrites the whole copy from this object.
 */

export interface MonthCounters {
  month: string;
  usedIncluded: number;
  usedTopUp: number;
  extraOrders: number;
  extraOrdersCost: number;
  transferredOrders: number;
}

export interface MonthUsage extends MonthCounters {
  planCode: string;
  includedOrders: number;
  remainingIncluded: number;
  /** Included orders of this month held for running imports (not used yet, not free for live orders). */
  reservedIncluded: number;
  topUpBalance: number;
}

export interface TopUpResult {
  purchaseId: string;
  orders: number;
  price: number;
  topUpBalance: number;
  duplicate: boolean;
}

export interface Reservation {
  importId: string;
  month: string;
  held: number;
  status: "active" | "released";
}

export interface ImportBilling {
  importId: string;
  fromIncluded: number;
  fromTopUp: number;
  extraOrders: number;
  extraOrdersCost: number;
  chargedOrders: number;
  reservation: Reservation | null;
}

const SYNC_DELAY_MS = 500;

type Row = Record<string, SqlStorageValue>;

export const chargeKey = (r: Pick<ChargeRequest, "integrationId" | "shopOrderId" | "generation">) =>
  `${r.integrationId}:${r.shopOrderId}:${r.generation}`;

export class TenantAccount extends DurableObject<Env> {
  private sql: SqlStorage;
  private alarmPending = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS account (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        tenant_id TEXT,
        top_up_balance INTEGER NOT NULL DEFAULT 0,
        top_up_bought INTEGER NOT NULL DEFAULT 0
      );
      INSERT OR IGNORE INTO account (id) VALUES (1);
      CREATE TABLE IF NOT EXISTS charges (
        key TEXT PRIMARY KEY,
        integration_id TEXT NOT NULL,
        shop_order_id TEXT NOT NULL,
        generation INTEGER NOT NULL,
        month TEXT NOT NULL,
        source TEXT NOT NULL,
        price INTEGER NOT NULL,
        at TEXT NOT NULL,
        import_id TEXT,
        document_number TEXT,
        charged_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS charges_import ON charges (import_id) WHERE import_id IS NOT NULL;
      CREATE INDEX IF NOT EXISTS charges_month ON charges (month);
      CREATE TABLE IF NOT EXISTS months (
        month TEXT PRIMARY KEY,
        used_included INTEGER NOT NULL DEFAULT 0,
        used_top_up INTEGER NOT NULL DEFAULT 0,
        extra_orders INTEGER NOT NULL DEFAULT 0,
        extra_cost INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL DEFAULT 0,
        synced_version INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS top_ups (
        id TEXT PRIMARY KEY,
        orders INTEGER NOT NULL,
        price INTEGER NOT NULL,
        at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS reservations (
        import_id TEXT PRIMARY KEY,
        month TEXT NOT NULL,
        held INTEGER NOT NULL,
        status TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `);
  }

  // ---- charges (R9–R11) ----

  /** Counts one transferred order once per key (R9) in its Copenhagen month (R10), from the right source (R11). */
  async charge(req: ChargeRequest): Promise<ChargeResult> {
    const r = {
      tenantId: requireString(req?.tenantId, "tenantId"),
      integrationId: requireString(req.integrationId, "integrationId"),
      shopOrderId: requireString(req.shopOrderId, "shopOrderId"),
      generation: requireCount(req.generation, "generation"),
      documentNumber: typeof req.documentNumber === "string" ? req.documentNumber.slice(0, 200) : String(req.documentNumber ?? ""),
      at: instant(req.at).toISOString(),
      importId: req.importId == null ? null : requireString(req.importId, "importId"),
    };
    this.learnTenant(r.tenantId);
    const key = chargeKey(r);
    const before = this.priorCharge(key);
    if (before) return before;
    // The only non-storage I/O, done before the transaction: other calls may run meanwhile, so the
    // transaction checks the key again.
    const plan = req.plan ? requirePlan(req.plan) : (await tenantPlan(getDb(this.env), r.tenantId)).plan;
    const result = this.ctx.storage.transactionSync((): ChargeResult => {
      const again = this.priorCharge(key);
      if (again) return again;
      const month = copenhagenMonth(r.at);
      const counters = this.counters(month);
      let source: ChargeSource;
      const hold = r.importId ? this.reservationRow(r.importId) : null;
      if (hold && hold.status === "active" && hold.month === month && hold.held > 0) {
        source = "included";
        this.sql.exec("UPDATE reservations SET held = held - 1, updated_at = ? WHERE import_id = ?", new Date().toISOString(), r.importId);
      } else {
        const free = remainingIncluded(plan.includedOrders, counters.usedIncluded, this.heldIn(month));
        source = chargeSource(free, this.balance());
      }
      const price = source === "extra" ? plan.extraOrderPrice : 0;
      this.sql.exec(
        `INSERT INTO charges (key, integration_id, shop_order_id, generation, month, source, price, at, import_id, document_number, charged_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        key, r.integrationId, r.shopOrderId, r.generation, month, source, price, r.at, r.importId, r.documentNumber, new Date().toISOString(),
      );
      const col = source === "included" ? "used_included" : source === "topUp" ? "used_top_up" : "extra_orders";
      this.sql.exec(
        `INSERT INTO months (month, ${col}, extra_cost, version) VALUES (?, 1, ?, 1)
         ON CONFLICT (month) DO UPDATE SET ${col} = ${col} + 1, extra_cost = extra_cost + excluded.extra_cost, version = version + 1`,
        month, price,
      );
      if (source === "topUp") this.sql.exec("UPDATE account SET top_up_balance = top_up_balance - 1 WHERE id = 1");
      return { source, month, duplicate: false, price };
    });
    if (!result.duplicate) await this.scheduleSync();
    return result;
  }

  // ---- usage (R10, R11) ----

  /** The month's counters under the given plan terms. */
  usage(month: string, plan: PlanTerms): MonthUsage {
    requireMonth(month);
    const p = requirePlan(plan);
    const c = this.counters(month);
    const reservedIncluded = Math.min(this.heldIn(month), remainingIncluded(p.includedOrders, c.usedIncluded));
    return {
      ...c,
      planCode: p.code,
      includedOrders: p.includedOrders,
      remainingIncluded: remainingIncluded(p.includedOrders, c.usedIncluded),
      reservedIncluded,
      topUpBalance: this.balance(),
    };
  }

  /** Every month with charges (oldest first): what the D1 copy `usage_months` is rebuilt from. */
  months(): { tenantId: string | null; months: MonthCounters[] } {
    const rows = this.sql.exec("SELECT * FROM months ORDER BY month").toArray();
    return { tenantId: this.tenantId(), months: rows.map((r) => this.toCounters(r)) };
  }

  // ---- top-ups (R12) ----

  /** Adds prepaid orders; with a purchase id the same purchase is added once. `price` is recorded as paid. */
  topUp(orders: number, purchaseId?: string | null, price = 0): TopUpResult {
    requireCount(orders, "orders", 1);
    requireCount(price, "price", 0, 1_000_000_000_000);
    const id = purchaseId == null ? crypto.randomUUID() : requireString(purchaseId, "purchaseId");
    return this.ctx.storage.transactionSync(() => {
      const prior = this.sql.exec<{ orders: number; price: number }>("SELECT orders, price FROM top_ups WHERE id = ?", id).toArray()[0];
      if (prior) return { purchaseId: id, orders: prior.orders, price: prior.price, topUpBalance: this.balance(), duplicate: true };
      this.sql.exec("INSERT INTO top_ups (id, orders, price, at) VALUES (?, ?, ?, ?)", id, orders, price, new Date().toISOString());
      this.sql.exec("UPDATE account SET top_up_balance = top_up_balance + ?, top_up_bought = top_up_bought + ? WHERE id = 1", orders, orders);
      return { purchaseId: id, orders, price, topUpBalance: this.balance(), duplicate: false };
    });
  }

  // ---- imports (R13, R14, item 6) ----

  /** The import quote from the live counters of the month of `at` (default: now). */
  quote(estimatedOrders: number, plan: PlanTerms, technician?: { minutes: number; halfHourPrice: number }, at?: string) {
    requireCount(estimatedOrders, "estimatedOrders");
    const p = requirePlan(plan);
    const month = copenhagenMonth(at ? instant(at) : new Date());
    const c = this.counters(month);
    return {
      month,
      ...importQuote({
        estimatedOrders,
        remainingIncluded: remainingIncluded(p.includedOrders, c.usedIncluded, this.heldIn(month)),
        topUpBalance: this.balance(),
        extraOrderPrice: p.extraOrderPrice,
        technicianMinutes: technician ? requireCount(technician.minutes, "technician.minutes") : 0,
        technicianHalfHourPrice: technician ? requireCount(technician.halfHourPrice, "technician.halfHourPrice", 0, 100_000_000) : 0,
      }),
    };
  }

  /**
   * Holds the month's free included orders for an import (policy at the top of this file): up to
   * `orders` minus what the import has charged already. Calling again re-sizes (and re-activates) the hold.
   */
  reserve(importId: string, orders: number, plan: PlanTerms, at?: string): Reservation {
    requireString(importId, "importId");
    requireCount(orders, "orders");
    const p = requirePlan(plan);
    const month = copenhagenMonth(at ? instant(at) : new Date());
    return this.ctx.storage.transactionSync(() => {
      const charged = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM charges WHERE import_id = ?", importId).one().n;
      const desired = Math.max(0, orders - charged);
      const otherHeld = this.sql
        .exec<{ n: number }>("SELECT coalesce(sum(held), 0) AS n FROM reservations WHERE month = ? AND status = 'active' AND import_id <> ?", month, importId)
        .one().n;
      const c = this.counters(month);
      const held = allocate(desired, remainingIncluded(p.includedOrders, c.usedIncluded, otherHeld), 0).fromIncluded;
      this.sql.exec(
        `INSERT INTO reservations (import_id, month, held, status, updated_at) VALUES (?, ?, ?, 'active', ?)
         ON CONFLICT (import_id) DO UPDATE SET month = excluded.month, held = excluded.held, status = 'active', updated_at = excluded.updated_at`,
        importId, month, held, new Date().toISOString(),
      );
      return this.reservationRow(importId)!;
    });
  }

  /** Ends an import's hold: what was not used is free again. Returns the import's billing. Idempotent. */
  release(importId: string): ImportBilling & { released: number } {
    requireString(importId, "importId");
    return this.ctx.storage.transactionSync(() => {
      const hold = this.reservationRow(importId);
      const released = hold && hold.status === "active" ? hold.held : 0;
      if (hold) this.sql.exec("UPDATE reservations SET held = 0, status = 'released', updated_at = ? WHERE import_id = ?", new Date().toISOString(), importId);
      return { ...this.importBilling(importId), released };
    });
  }

  /** What the import's orders were charged: from the same charge rows that make the month counters. */
  importBilling(importId: string): ImportBilling {
    requireString(importId, "importId");
    const rows = this.sql
      .exec<{ source: string; n: number; cost: number }>("SELECT source, count(*) AS n, sum(price) AS cost FROM charges WHERE import_id = ? GROUP BY source", importId)
      .toArray();
    const of = (s: ChargeSource) => rows.find((r) => r.source === s);
    const fromIncluded = of("included")?.n ?? 0;
    const fromTopUp = of("topUp")?.n ?? 0;
    const extraOrders = of("extra")?.n ?? 0;
    return {
      importId,
      fromIncluded,
      fromTopUp,
      extraOrders,
      extraOrdersCost: of("extra")?.cost ?? 0,
      chargedOrders: fromIncluded + fromTopUp + extraOrders,
      reservation: this.reservationRow(importId),
    };
  }

  // ---- the D1 copy ----

  async alarm() {
    this.alarmPending = false;
    await this.syncUsageCopy();
  }

  /** Writes changed months (or, with `all`, every month) to D1 `usage_months`. Returns how many. */
  async syncUsageCopy(all = false): Promise<number> {
    const tenantId = this.tenantId();
    if (!tenantId) return 0;
    const rows = this.sql.exec(all ? "SELECT * FROM months" : "SELECT * FROM months WHERE version > synced_version").toArray();
    if (rows.length === 0) return 0;
    const now = new Date().toISOString();
    // Counters only grow, so an older write arriving late never replaces a newer one (unless rebuilding).
    const guard = all ? "" : " WHERE excluded.used_included + excluded.used_top_up + excluded.extra_orders >= usage_months.used_included + usage_months.used_top_up + usage_months.extra_orders";
    await this.env.DB.batch(
      rows.map((r) =>
        this.env.DB.prepare(
          `INSERT INTO usage_months (tenant_id, month, used_included, used_top_up, extra_orders, updated_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (tenant_id, month) DO UPDATE SET used_included = excluded.used_included, used_top_up = excluded.used_top_up,
             extra_orders = excluded.extra_orders, updated_at = excluded.updated_at${guard}`,
        ).bind(tenantId, r.month, r.used_included, r.used_top_up, r.extra_orders, now),
      ),
    );
    for (const r of rows) this.sql.exec("UPDATE months SET synced_version = max(synced_version, ?) WHERE month = ?", r.version, r.month);
    return rows.length;
  }

  // ---- internals ----

  private async scheduleSync() {
    if (this.alarmPending) return;
    this.alarmPending = true;
    await this.ctx.storage.setAlarm(Date.now() + SYNC_DELAY_MS);
  }

  private tenantId(): string | null {
    const row = this.sql.exec<{ tenant_id: string | null }>("SELECT tenant_id FROM account WHERE id = 1").one();
    return row.tenant_id ?? this.ctx.id.name ?? null;
  }

  private learnTenant(tenantId: string) {
    const known = this.sql.exec<{ tenant_id: string | null }>("SELECT tenant_id FROM account WHERE id = 1").one().tenant_id;
    if (known === tenantId) return;
    if (known) throw new Error(`This account belongs to tenant ${known}, not ${tenantId}`);
    if (this.ctx.id.name && this.ctx.id.name !== tenantId) throw new Error(`This account belongs to tenant ${this.ctx.id.name}, not ${tenantId}`);
    this.sql.exec("UPDATE account SET tenant_id = ? WHERE id = 1", tenantId);
  }

  private priorCharge(key: string): ChargeResult | null {
    const row = this.sql.exec<{ source: string; month: string; price: number }>("SELECT source, month, price FROM charges WHERE key = ?", key).toArray()[0];
    return row ? { source: row.source as ChargeSource, month: row.month, duplicate: true, price: row.price } : null;
  }

  private balance(): number {
    return this.sql.exec<{ b: number }>("SELECT top_up_balance AS b FROM account WHERE id = 1").one().b;
  }

  private heldIn(month: string): number {
    return this.sql.exec<{ n: number }>("SELECT coalesce(sum(held), 0) AS n FROM reservations WHERE month = ? AND status = 'active'", month).one().n;
  }

  private reservationRow(importId: string): Reservation | null {
    const r = this.sql.exec("SELECT * FROM reservations WHERE import_id = ?", importId).toArray()[0];
    return r ? { importId: String(r.import_id), month: String(r.month), held: Number(r.held), status: r.status as Reservation["status"] } : null;
  }

  private counters(month: string): MonthCounters {
    const r = this.sql.exec("SELECT * FROM months WHERE month = ?", month).toArray()[0];
    return r ? this.toCounters(r) : { month, usedIncluded: 0, usedTopUp: 0, extraOrders: 0, extraOrdersCost: 0, transferredOrders: 0 };
  }

  private toCounters(r: Row): MonthCounters {
    const usedIncluded = Number(r.used_included);
    const usedTopUp = Number(r.used_top_up);
    const extraOrders = Number(r.extra_orders);
    return {
      month: String(r.month),
      usedIncluded,
      usedTopUp,
      extraOrders,
      extraOrdersCost: Number(r.extra_cost),
      transferredOrders: usedIncluded + usedTopUp + extraOrders,
    };
  }
}
