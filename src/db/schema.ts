import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Times are ISO 8601 strings in UTC. Money is integer minor units.
const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`;

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  planCode: text("plan_code").notNull(),
  createdAt: text("created_at").notNull().default(now),
});

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id),
    email: text("email").notNull(),
    role: text("role", { enum: ["owner", "member"] }).notNull(),
    passwordHash: text("password_hash"),
    createdAt: text("created_at").notNull().default(now),
    removedAt: text("removed_at"),
    /** The language last chosen on the settings page (null: Danish); notifications are written in it. */
    language: text("language", { enum: ["da", "en"] }),
    /** The notification kinds the user chose (null: the role's default, R25). */
    notifications: text("notifications", { mode: "json" }).$type<string[]>(),
  },
  (t) => [uniqueIndex("users_email").on(t.email), index("users_tenant").on(t.tenantId)],
);

export const invites = sqliteTable("invites", {
  tokenHash: text("token_hash").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id),
  expiresAt: text("expires_at").notNull(),
  usedAt: text("used_at"),
});

export const sessions = sqliteTable("sessions", {
  idHash: text("id_hash").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id),
  tenantId: text("tenant_id").notNull().references(() => tenants.id),
  csrfToken: text("csrf_token").notNull(),
  expiresAt: text("expires_at").notNull(),
  createdAt: text("created_at").notNull().default(now),
});

export const signInAttempts = sqliteTable("sign_in_attempts", {
  key: text("key").primaryKey(),
  windowStart: text("window_start").notNull(),
  count: integer("count").notNull(),
  lastFailureAt: text("last_failure_at"),
});

export const plans = sqliteTable("plans", {
  code: text("code").primaryKey(),
  name: text("name").notNull(),
  includedOrders: integer("included_orders").notNull(),
  monthlyPrice: integer("monthly_price").notNull(),
  extraOrderPrice: integer("extra_order_price").notNull(),
  currency: text("currency").notNull().default("DKK"),
});

/** One row (id = 1): the price list that is not per plan. */
export const prices = sqliteTable("prices", {
  id: integer("id").primaryKey(),
  topUpTiers: text("top_up_tiers", { mode: "json" }).notNull().$type<{ minOrders: number; unitPrice: number }[]>(),
  technicianHalfHourPrice: integer("technician_half_hour_price").notNull(),
  currency: text("currency").notNull().default("DKK"),
});

export const integrations = sqliteTable(
  "integrations",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id),
    name: text("name"),
    shopModule: text("shop_module").notNull(),
    shopSettings: text("shop_settings", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    /** AES-GCM ciphertext of the shop module's secret fields (JSON), bound to tenant + integration. */
    shopSecrets: text("shop_secrets"),
    accountingModule: text("accounting_module").notNull(),
    accountingSettings: text("accounting_settings", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    accountingSecrets: text("accounting_secrets"),
    status: text("status", { enum: ["inactive", "active"] }).notNull().default("inactive"),
    createdAt: text("created_at").notNull(),
    activatedAt: text("activated_at"),
    /** Transfer start point (R2/R3): creation for polled shops, first activation for webhook shops. */
    startAt: text("start_at"),
    /** Polling / reconciliation cursor (ISO time of the last change seen). */
    pollCursor: text("poll_cursor"),
    health: text("health", { mode: "json" }).$type<{ status: string; category?: string; message?: string; at: string }>(),
    updatedAt: text("updated_at").notNull().default(now),
    /** R26: each side's connection, once one was made by a connect flow or refused (null: typed credentials or none). */
    shopConnection: text("shop_connection", { mode: "json" }).$type<Connection>(),
    accountingConnection: text("accounting_connection", { mode: "json" }).$type<Connection>(),
  },
  (t) => [index("integrations_tenant").on(t.tenantId)],
);

export interface Connection {
  status: "connected" | "needs_reconnect";
  via: "oauth" | "credentials";
  checkedAt: string;
  /** Which shop or agreement it is connected as (e.g. "Demo ApS (aftale 123456)"). */
  account?: string;
  /** Since when (the connect flow's time). */
  connectedAt?: string;
}

/** R26: the one-time states of connect flows. */
export const connectStates = sqliteTable("connect_states", {
  stateHash: text("state_hash").primaryKey(),
  provider: text("provider").notNull(),
  integrationId: text("integration_id").notNull(),
  tenantId: text("tenant_id").notNull(),
  userId: text("user_id").notNull(),
  sessionHash: text("session_hash"),
  expiresAt: text("expires_at").notNull(),
  usedAt: text("used_at"),
  createdAt: text("created_at").notNull().default(now),
});

export const staffKeys = sqliteTable("staff_keys", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  scopes: text("scopes", { mode: "json" }).notNull().$type<string[]>(),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: text("created_at").notNull().default(now),
  revokedAt: text("revoked_at"),
});

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id"),
    tenantId: text("tenant_id"),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("audit_target").on(t.targetType, t.targetId)],
);

/** The order ledger: one row per (integration, shop order id). */
export const ledger = sqliteTable(
  "ledger",
  {
    id: text("id").primaryKey(),
    integrationId: text("integration_id").notNull().references(() => integrations.id),
    tenantId: text("tenant_id").notNull(),
    shopOrderId: text("shop_order_id").notNull(),
    orderNumber: text("order_number").notNull(),
    status: text("status", { enum: ["pending", "transferred", "failed", "skipped"] }).notNull(),
    reason: text("reason"),
    errorCategory: text("error_category"),
    errorMessage: text("error_message"),
    errorHint: text("error_hint"),
    documentType: text("document_type"),
    documentNumber: text("document_number"),
    source: text("source", { enum: ["webhook", "poll", "import", "manual"] }).notNull(),
    importId: text("import_id"),
    /** The shop's own time of the order's creation and last change (UTC). */
    orderCreatedAt: text("order_created_at"),
    orderUpdatedAt: text("order_updated_at"),
    receivedAt: text("received_at").notNull(),
    transferredAt: text("transferred_at"),
    updatedAt: text("updated_at").notNull(),
    /** Bumped by "transfer again" (R8): the charge key and the document reference include it. */
    generation: integer("generation").notNull().default(0),
    /** Set while a transfer is queued; the cron relay re-enqueues rows pending too long. */
    pendingSince: text("pending_since"),
    /** A transfer in progress holds the row until this time, so two consumers never transfer one order at once. */
    leaseUntil: text("lease_until"),
    /**
     * When a pending row's next attempt is due: now (its message was just sent), after a backoff, or when
     * its lease runs out. The cron re-enqueues a row overdue by more than a minute (a lost message, a dead
     * Worker). Null: nothing is due (an import's orders past its estimate wait for resume).
     */
    nextAttemptAt: text("next_attempt_at"),
    attempts: integer("attempts").notNull().default(0),
    received: text("received"),
    sent: text("sent"),
    /** The document currency (R24) and the order's gross total in its minor units, as last received. */
    currency: text("currency"),
    totalGross: integer("total_gross"),
  },
  (t) => [
    uniqueIndex("ledger_integration_order").on(t.integrationId, t.shopOrderId),
    index("ledger_integration_received").on(t.integrationId, t.receivedAt),
    index("ledger_pending").on(t.status, t.pendingSince),
    index("ledger_due").on(t.status, t.nextAttemptAt),
    index("ledger_import").on(t.importId),
  ],
);

export const ledgerAttempts = sqliteTable(
  "ledger_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    ledgerId: text("ledger_id").notNull().references(() => ledger.id),
    at: text("at").notNull(),
    outcome: text("outcome").notNull(),
    category: text("category"),
    message: text("message"),
  },
  (t) => [index("attempts_ledger").on(t.ledgerId)],
);

/**
 * Credit notes (R20–R23): one row per (integration, shop order id, refund id); "cancel" is R21's credit for
 * a cancellation without a covering refund. `waiting`: its order is not transferred yet (R22); `skipped`:
 * creditRefunds is off (R23). Lease, attempts and due time work as on ledger rows.
 */
export const creditNotes = sqliteTable(
  "credit_notes",
  {
    id: text("id").primaryKey(),
    integrationId: text("integration_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    shopOrderId: text("shop_order_id").notNull(),
    refundId: text("refund_id").notNull(),
    status: text("status", { enum: ["waiting", "pending", "transferred", "failed", "skipped"] }).notNull(),
    /** Gross, positive, minor units of `currency` (0 while a refund waits for its order to be read). */
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    /** The canonical refund (JSON); null while a refund delivered on its own waits for its order. */
    refund: text("refund"),
    /** The shop's own refund JSON, when it came on its own (Shopify refunds/create). */
    raw: text("raw"),
    /** Our reference on the credit note, fixed at the first attempt (found again after a lost answer). */
    reference: text("reference"),
    documentType: text("document_type"),
    documentNumber: text("document_number"),
    errorCategory: text("error_category"),
    errorMessage: text("error_message"),
    errorHint: text("error_hint"),
    sent: text("sent"),
    attempts: integer("attempts").notNull().default(0),
    /** Bumped by the refund's transfer again: a new document with a new reference. */
    generation: integer("generation").notNull().default(0),
    leaseUntil: text("lease_until"),
    nextAttemptAt: text("next_attempt_at"),
    receivedAt: text("received_at").notNull(),
    transferredAt: text("transferred_at"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [uniqueIndex("credit_notes_refund").on(t.integrationId, t.shopOrderId, t.refundId), index("credit_notes_due").on(t.status, t.nextAttemptAt)],
);

/** Webhook deliveries, deduplicated by a stable key per integration; large bodies are kept here. */
export const deliveries = sqliteTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    integrationId: text("integration_id").notNull(),
    dedupeKey: text("dedupe_key").notNull(),
    topic: text("topic"),
    status: text("status").notNull(),
    body: text("body"),
    receivedAt: text("received_at").notNull(),
  },
  (t) => [uniqueIndex("deliveries_dedupe").on(t.integrationId, t.dedupeKey)],
);

export const sandboxOrders = sqliteTable(
  "sandbox_orders",
  {
    integrationId: text("integration_id").notNull(),
    id: text("id").notNull(),
    number: integer("number").notNull(),
    body: text("body", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.integrationId, t.id] }), index("sandbox_orders_updated").on(t.integrationId, t.updatedAt)],
);

export const sandboxDocuments = sqliteTable(
  "sandbox_documents",
  {
    integrationId: text("integration_id").notNull(),
    number: integer("number").notNull(),
    type: text("type", { enum: ["draft", "booked"] }).notNull(),
    reference: text("reference").notNull(),
    body: text("body", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.integrationId, t.number] }), index("sandbox_documents_reference").on(t.integrationId, t.reference)],
);

export const imports = sqliteTable(
  "imports",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    integrationId: text("integration_id").notNull().references(() => integrations.id),
    status: text("status").notNull(),
    pauseReason: text("pause_reason"),
    /** Why the shop stopped the import (e.g. Shopify's export failed: what to do), while paused. */
    pauseMessage: text("pause_message"),
    fromDate: text("from_date").notNull(),
    fromOrderNumber: text("from_order_number"),
    toDate: text("to_date").notNull(),
    estimatedOrders: integer("estimated_orders").notNull(),
    acceptedHalfHours: integer("accepted_half_hours").notNull(),
    technicianMinutes: integer("technician_minutes").notNull().default(0),
    preflight: text("preflight", { mode: "json" }).$type<{
      status: "running" | "done";
      ordersFound: number;
      /** Refunds the orders' JSON shows (each becomes a credit note in the run, R22). */
      refundsFound?: number;
      errorsByCategory: Record<string, number>;
      errors?: { orderId: string; orderNumber: string; category: string; message: string; hint: string }[];
      shopError?: string;
      /** The order the test transfer takes: the lowest order number in range that passed the checks. */
      testCandidate?: { orderId: string; orderNumber: number };
    }>(),
    testTransfer: text("test_transfer", { mode: "json" }).$type<Record<string, unknown>>(),
    approval: text("approval", { mode: "json" }).$type<Record<string, unknown>>(),
    /** The shop's page cursor of the run / preflight; each page message carries the sequence number it expects. */
    cursor: text("cursor"),
    runSeq: integer("run_seq").notNull().default(0),
    preflightCursor: text("preflight_cursor"),
    preflightSeq: integer("preflight_seq").notNull().default(0),
    fetchDone: integer("fetch_done").notNull().default(0),
    found: integer("found").notNull().default(0),
    createdAt: text("created_at").notNull(),
    startedAt: text("started_at"),
    completedAt: text("completed_at"),
  },
  (t) => [index("imports_integration").on(t.integrationId)],
);

export const importTimeEntries = sqliteTable("import_time_entries", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  importId: text("import_id").notNull().references(() => imports.id),
  minutes: integer("minutes").notNull(),
  note: text("note").notNull(),
  createdAt: text("created_at").notNull().default(now),
});

/** A copy of the tenant account's monthly usage for reports; the Durable Object is the truth. */
export const usageMonths = sqliteTable(
  "usage_months",
  {
    tenantId: text("tenant_id").notNull(),
    month: text("month").notNull(),
    usedIncluded: integer("used_included").notNull(),
    usedTopUp: integer("used_top_up").notNull(),
    extraOrders: integer("extra_orders").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.month] })],
);

/**
 * Which external record belongs to which of ours (e.g. the accounting system's customer for an email),
 * remembered across batches so a known customer costs no lookup.
 */
export const bindings = sqliteTable(
  "bindings",
  {
    integrationId: text("integration_id").notNull(),
    kind: text("kind").notNull(),
    externalKey: text("external_key").notNull(),
    externalId: text("external_id").notNull(),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.integrationId, t.kind, t.externalKey] })],
);

/** Master data of an accounting system, shared by the batches of an integration for a while (see economic/adapter.ts). */
export const accountingCache = sqliteTable(
  "accounting_cache",
  {
    integrationId: text("integration_id").notNull(),
    kind: text("kind").notNull(),
    data: text("data").notNull(),
    loadedAt: text("loaded_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.integrationId, t.kind] })],
);

/** R25: an incident is (kind, subject) from its first occurrence until resolved; `seq` numbers the occurrences. */
export const notifyIncidents = sqliteTable(
  "notify_incidents",
  {
    kind: text("kind").notNull(),
    subjectId: text("subject_id").notNull(),
    seq: integer("seq").notNull(),
    open: integer("open").notNull(),
    openedAt: text("opened_at").notNull(),
    lastSeenAt: text("last_seen_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.subjectId] })],
);

/** R25: the outbox. Recorded under a stable key before sending; sent once; failed sends retried by the cron. */
export const notifications = sqliteTable(
  "notifications",
  {
    id: text("id").primaryKey(),
    key: text("key").notNull(),
    tenantId: text("tenant_id").notNull(),
    kind: text("kind").notNull(),
    userId: text("user_id").notNull(),
    toAddress: text("to_address").notNull(),
    lang: text("lang").notNull(),
    subject: text("subject").notNull(),
    textBody: text("text_body").notNull(),
    htmlBody: text("html_body").notNull(),
    integrationId: text("integration_id"),
    importId: text("import_id"),
    status: text("status", { enum: ["pending", "sending", "sent", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: text("next_attempt_at"),
    leaseUntil: text("lease_until"),
    lastError: text("last_error"),
    messageId: text("message_id"),
    createdAt: text("created_at").notNull(),
    sentAt: text("sent_at"),
  },
  (t) => [uniqueIndex("notifications_key").on(t.key), index("notifications_tenant").on(t.tenantId, t.createdAt, t.id), index("notifications_due").on(t.status, t.nextAttemptAt)],
);

/** The daily digest's progress (one row, id 1): the last scheduled day and where its window ended. */
export const notifyDigest = sqliteTable("notify_digest", {
  id: integer("id").primaryKey(),
  lastDay: text("last_day"),
  lastCutoff: text("last_cutoff"),
});
