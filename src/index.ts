import { createApp } from "./app";
export { TenantAccount } from "./account/account-do";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
