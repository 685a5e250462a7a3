CREATE TABLE `bindings` (
	`integration_id` text NOT NULL,
	`kind` text NOT NULL,
	`external_key` text NOT NULL,
	`external_id` text NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	PRIMARY KEY(`integration_id`, `kind`, `external_key`)
);
