ALTER TABLE `imports` ADD `run_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `imports` ADD `preflight_cursor` text;--> statement-breakpoint
ALTER TABLE `imports` ADD `preflight_seq` integer DEFAULT 0 NOT NULL;