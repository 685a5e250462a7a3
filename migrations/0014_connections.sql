-- R26: one-time states of the connect flows (random, single use, 10 minutes, bound to the session that started them).
CREATE TABLE `connect_states` (
	`state_hash` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`integration_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`user_id` text NOT NULL,
	`session_hash` text,
	`expires_at` text NOT NULL,
	`used_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
-- The connection of each side: {status, via, checkedAt, account?}; absent until a connection is made or checked.
ALTER TABLE `integrations` ADD `shop_connection` text;
--> statement-breakpoint
ALTER TABLE `integrations` ADD `accounting_connection` text;
