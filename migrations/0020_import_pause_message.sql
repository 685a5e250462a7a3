-- Why the shop stopped an import (a failed or expired Shopify export, a refused shop): shown with the pause.
ALTER TABLE `imports` ADD `pause_message` text;
