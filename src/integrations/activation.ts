import type { BatchItem } from "drizzle-orm/batch";
import { eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { integrations } from "../db/schema";
import { unprocessable } from "../lib/errors";
import { nowIso } from "../domain/calendar";
import { isWebhookShop, missingForActivation, type Integration } from "./store";

/**
 * Activation (R1, R3), shared by the staff API and the settings page: refused with the missing list
 * while a required setting is missing; a webhook shop starts at its first activation, later activations
 * do not move the start point. `audit` is batched with the write.
 */
export async function activateIntegration(env: Env, row: Integration, audit: BatchItem<"sqlite">) {
  const missing = await missingForActivation(env, row);
  if (missing.length) throw unprocessable("settings_incomplete", "Required settings are missing", { missing });
  const at = nowIso();
  const startAt = row.startAt ?? (isWebhookShop(row) ? at : row.createdAt);
  const db = getDb(env);
  await db.batch([db.update(integrations).set({ status: "active", activatedAt: at, startAt, updatedAt: at }).where(eq(integrations.id, row.id)), audit]);
  return { status: "active" as const, activatedAt: at, startAt };
}

/** Deactivation: webhooks are still recorded (R4). */
export async function deactivateIntegration(env: Env, row: Integration, audit: BatchItem<"sqlite">) {
  const db = getDb(env);
  await db.batch([db.update(integrations).set({ status: "inactive", updatedAt: nowIso() }).where(eq(integrations.id, row.id)), audit]);
  return { status: "inactive" as const };
}
