-- When each pending row's next attempt is due (now, after its backoff, or when its lease runs out), so the
-- cron can pick up a row whose message was lost within minutes. Existing pending rows are due as of their
-- last change.
ALTER TABLE `ledger` ADD `next_attempt_at` text;
--> statement-breakpoint
UPDATE `ledger` SET `next_attempt_at` = `updated_at` WHERE `status` = 'pending';
--> statement-breakpoint
CREATE INDEX `ledger_due` ON `ledger` (`status`,`next_attempt_at`);
