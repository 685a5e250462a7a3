/**
 * Sending e-mail (R25): a small interface over the Worker's `send_email` binding `EMAIL` (Cloudflare
 * Email Service, `env.EMAIL.send({from, to, subject, text, html})`). `wrangler dev` and the tests get
 * miniflare's local binding, which keeps every message on the machine. Tests may record instead with
 * `setSender`, as `setOutboundFetch` does for HTTP.
 */
export interface Mail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
}

export interface Sender {
  send(mail: Mail): Promise<{ messageId?: string }>;
}

/** The optional bindings of the feature: without them notifications are recorded and shown as failed. */
export type NotifyEnv = Env & { EMAIL?: SendEmail; NOTIFY_FROM?: string };

export class NotConfigured extends Error {}

/** The binding's sender; refuses with a clear message when the binding or the sender address is missing. */
export function bindingSender(env: NotifyEnv): Sender {
  return {
    async send(mail) {
      if (!env.EMAIL) throw new NotConfigured("The send_email binding EMAIL is not configured");
      const result = await env.EMAIL.send({ from: mail.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, headers: mail.headers });
      return { messageId: result?.messageId };
    },
  };
}

let override: Sender | undefined;

/** Tests: record what would be sent (undefined: the binding again). */
export function setSender(s?: Sender) {
  override = s;
}

export function senderFor(env: NotifyEnv): Sender {
  return override ?? bindingSender(env);
}

/** The sender address, or a clear refusal. */
export function fromAddress(env: NotifyEnv): string {
  const from = env.NOTIFY_FROM?.trim();
  if (!from) throw new NotConfigured("NOTIFY_FROM (the sender address of notifications) is not configured");
  return from;
}
