-- R25: telling the merchant. Each user's language (the one last chosen on the settings page; null: Danish)
-- and chosen notification kinds (a JSON list; null: the role's default, owners all, members the digest).
ALTER TABLE `users` ADD `language` text;
--> statement-breakpoint
ALTER TABLE `users` ADD `notifications` text;
--> statement-breakpoint
-- An incident is (kind, subject) from its first occurrence until it is resolved; `seq` numbers its
-- occurrences, so one mail per incident and recipient has a stable key (kind:subject:seq:user).
CREATE TABLE `notify_incidents` (
	`kind` text NOT NULL,
	`subject_id` text NOT NULL,
	`seq` integer NOT NULL,
	`open` integer NOT NULL,
	`opened_at` text NOT NULL,
	`last_seen_at` text NOT NULL,
	PRIMARY KEY(`kind`, `subject_id`)
);
--> statement-breakpoint
-- The outbox: every notification is recorded under its stable key before it is sent, then sent once;
-- a failed send is retried with backoff by the cron.
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`tenant_id` text NOT NULL,
	`kind` text NOT NULL,
	`user_id` text NOT NULL,
	`to_address` text NOT NULL,
	`lang` text NOT NULL,
	`subject` text NOT NULL,
	`text_body` text NOT NULL,
	`html_body` text NOT NULL,
	`integration_id` text,
	`import_id` text,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` text,
	`lease_until` text,
	`last_error` text,
	`message_id` text,
	`created_at` text NOT NULL,
	`sent_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_key` ON `notifications` (`key`);
--> statement-breakpoint
CREATE INDEX `notifications_tenant` ON `notifications` (`tenant_id`,`created_at`,`id`);
--> statement-breakpoint
CREATE INDEX `notifications_due` ON `notifications` (`status`,`next_attempt_at`);
--> statement-breakpoint
-- The daily digest's progress (one row): the last scheduled day sent and where its window ended.
CREATE TABLE `notify_digest` (
	`id` integer PRIMARY KEY NOT NULL,
	`last_day` text,
	`last_cutoff` text
);
