-- Master data of an accounting system (e-conomic VAT zones, accounting years, products), read once and
-- shared by every queue batch of the integration until it is older than its time to live.
CREATE TABLE `accounting_cache` (
	`integration_id` text NOT NULL,
	`kind` text NOT NULL,
	`data` text NOT NULL,
	`loaded_at` text NOT NULL,
	PRIMARY KEY(`integration_id`, `kind`)
);
