CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text,
	`tenant_id` text,
	`details` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_target` ON `audit_log` (`target_type`,`target_id`);--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`integration_id` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`topic` text,
	`status` text NOT NULL,
	`body` text,
	`received_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_dedupe` ON `deliveries` (`integration_id`,`dedupe_key`);--> statement-breakpoint
CREATE TABLE `import_time_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`import_id` text NOT NULL,
	`minutes` integer NOT NULL,
	`note` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`import_id`) REFERENCES `imports`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `imports` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`integration_id` text NOT NULL,
	`status` text NOT NULL,
	`pause_reason` text,
	`from_date` text NOT NULL,
	`from_order_number` text,
	`to_date` text NOT NULL,
	`estimated_orders` integer NOT NULL,
	`accepted_half_hours` integer NOT NULL,
	`technician_minutes` integer DEFAULT 0 NOT NULL,
	`preflight` text,
	`test_transfer` text,
	`approval` text,
	`cursor` text,
	`fetch_done` integer DEFAULT 0 NOT NULL,
	`found` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	`started_at` text,
	`completed_at` text,
	FOREIGN KEY (`integration_id`) REFERENCES `integrations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `imports_integration` ON `imports` (`integration_id`);--> statement-breakpoint
CREATE TABLE `integrations` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text,
	`shop_module` text NOT NULL,
	`shop_settings` text NOT NULL,
	`shop_secrets` text,
	`accounting_module` text NOT NULL,
	`accounting_settings` text NOT NULL,
	`accounting_secrets` text,
	`status` text DEFAULT 'inactive' NOT NULL,
	`created_at` text NOT NULL,
	`activated_at` text,
	`start_at` text,
	`poll_cursor` text,
	`health` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `integrations_tenant` ON `integrations` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `invites` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `ledger` (
	`id` text PRIMARY KEY NOT NULL,
	`integration_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`shop_order_id` text NOT NULL,
	`order_number` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`error_category` text,
	`error_message` text,
	`error_hint` text,
	`document_type` text,
	`document_number` text,
	`source` text NOT NULL,
	`import_id` text,
	`order_created_at` text,
	`order_updated_at` text,
	`received_at` text NOT NULL,
	`transferred_at` text,
	`updated_at` text NOT NULL,
	`generation` integer DEFAULT 0 NOT NULL,
	`pending_since` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`received` text,
	`sent` text,
	FOREIGN KEY (`integration_id`) REFERENCES `integrations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_integration_order` ON `ledger` (`integration_id`,`shop_order_id`);--> statement-breakpoint
CREATE INDEX `ledger_integration_received` ON `ledger` (`integration_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `ledger_pending` ON `ledger` (`status`,`pending_since`);--> statement-breakpoint
CREATE INDEX `ledger_import` ON `ledger` (`import_id`);--> statement-breakpoint
CREATE TABLE `ledger_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ledger_id` text NOT NULL,
	`at` text NOT NULL,
	`outcome` text NOT NULL,
	`category` text,
	`message` text,
	FOREIGN KEY (`ledger_id`) REFERENCES `ledger`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `attempts_ledger` ON `ledger_attempts` (`ledger_id`);--> statement-breakpoint
CREATE TABLE `plans` (
	`code` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`included_orders` integer NOT NULL,
	`monthly_price` integer NOT NULL,
	`extra_order_price` integer NOT NULL,
	`currency` text DEFAULT 'DKK' NOT NULL
);
--> statement-breakpoint
CREATE TABLE `prices` (
	`id` integer PRIMARY KEY NOT NULL,
	`top_up_tiers` text NOT NULL,
	`technician_half_hour_price` integer NOT NULL,
	`currency` text DEFAULT 'DKK' NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sandbox_documents` (
	`integration_id` text NOT NULL,
	`number` integer NOT NULL,
	`type` text NOT NULL,
	`reference` text NOT NULL,
	`body` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`integration_id`, `number`)
);
--> statement-breakpoint
CREATE INDEX `sandbox_documents_reference` ON `sandbox_documents` (`integration_id`,`reference`);--> statement-breakpoint
CREATE TABLE `sandbox_orders` (
	`integration_id` text NOT NULL,
	`id` text NOT NULL,
	`number` integer NOT NULL,
	`body` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`integration_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `sandbox_orders_updated` ON `sandbox_orders` (`integration_id`,`updated_at`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`csrf_token` text NOT NULL,
	`expires_at` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `sign_in_attempts` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` text NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `staff_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`scopes` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `staff_keys_token_hash_unique` ON `staff_keys` (`token_hash`);--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`plan_code` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `usage_months` (
	`tenant_id` text NOT NULL,
	`month` text NOT NULL,
	`used_included` integer NOT NULL,
	`used_top_up` integer NOT NULL,
	`extra_orders` integer NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `month`)
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`email` text NOT NULL,
	`role` text NOT NULL,
	`password_hash` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`removed_at` text,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email` ON `users` (`email`);--> statement-breakpoint
CREATE INDEX `users_tenant` ON `users` (`tenant_id`);