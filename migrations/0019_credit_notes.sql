-- R20–R23: one credit note per (integration, shop order id, refund id), "cancel" for R21's cancellation
-- credit. `refund` is the canonical refund (null while a refund that came on its own waits for its order,
-- which `raw` then holds the shop's refund JSON for); `reference` is our reference on the document, fixed
-- at the first attempt so a look-up after a lost answer finds it.
CREATE TABLE `credit_notes` (
	`id` text PRIMARY KEY NOT NULL,
	`integration_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`shop_order_id` text NOT NULL,
	`refund_id` text NOT NULL,
	`status` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`refund` text,
	`raw` text,
	`reference` text,
	`document_type` text,
	`document_number` text,
	`error_category` text,
	`error_message` text,
	`error_hint` text,
	`sent` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`generation` integer DEFAULT 0 NOT NULL,
	`lease_until` text,
	`next_attempt_at` text,
	`received_at` text NOT NULL,
	`transferred_at` text,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `credit_notes_refund` ON `credit_notes` (`integration_id`,`shop_order_id`,`refund_id`);
--> statement-breakpoint
CREATE INDEX `credit_notes_due` ON `credit_notes` (`status`,`next_attempt_at`);
