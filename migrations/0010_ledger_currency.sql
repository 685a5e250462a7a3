-- R24: the document currency of each order and its total in that currency (minor units of its own size).
ALTER TABLE `ledger` ADD `currency` text;
--> statement-breakpoint
ALTER TABLE `ledger` ADD `total_gross` integer;
