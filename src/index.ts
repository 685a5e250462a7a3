import { createApp } from "./app";
import { runCron } from "./cron";
import { handleDeadLetters, handleTransferBatch } from "./queue";
import type { TransferMessage } from "./transfers/messages";
export { TenantAccount } from "./account/account-do";
export { RateLimiter } from "./lib/rate-limiter";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    if (batch.queue.endsWith("-dlq")) await handleDeadLetters(batch, env);
    else await handleTransferBatch(batch, env);
  },
  async scheduled(controller, env) {
    console.log("cron", JSON.stringify(await runCron(env, new Date(controller.scheduledTime))));
  },
} satisfies ExportedHandler<Env, TransferMessage>;
