-- Growing delays after failed sign-ins, counted per (email, client address), per client address and per email.
ALTER TABLE `sign_in_attempts` ADD `last_failure_at` text;
