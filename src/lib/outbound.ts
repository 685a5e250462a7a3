/**
 * Outbound HTTP for connectors. Every connector takes its `fetch` as a parameter; the Worker's shells
 * pass `outboundFetch`, which tests point at local fakes with `setOutboundFetch`.
 */
export type FetchFn = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

const platformFetch: FetchFn = (input, init) => fetch(input, init);
let current: FetchFn = platformFetch;

export const outboundFetch: FetchFn = (input, init) => current(input, init);

export function setOutboundFetch(f?: FetchFn) {
  current = f ?? platformFetch;
}
