const enc = new TextEncoder();

export function toBase64(bytes: ArrayBuffer | Uint8Array): string {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function randomToken(bytes = 32): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function sha256Hex(input: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", enc.encode(input));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Constant-time comparison of two strings (compares SHA-256 digests so lengths do not leak). */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(a)),
    crypto.subtle.digest("SHA-256", enc.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}

/** Verifies a base64 HMAC-SHA256 signature over raw bytes against any of the given secrets, in constant time. */
export async function verifyHmacBase64(body: ArrayBuffer, signature: string | null | undefined, secrets: string[]): Promise<boolean> {
  if (!signature) return false;
  let ok = false;
  for (const secret of secrets) {
    if (!secret) continue;
    const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const expected = toBase64(await crypto.subtle.sign("HMAC", key, body));
    // Evaluate every secret so timing does not reveal which one matched.
    ok = (await safeEqual(expected, signature.trim())) || ok;
  }
  return ok;
}

export async function hmacBase64(secret: string, body: string | ArrayBuffer): Promise<string> {
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toBase64(await crypto.subtle.sign("HMAC", key, typeof body === "string" ? enc.encode(body) : body));
}

const keyCache = new Map<string, Promise<CryptoKey>>();
function aesKey(base64Key: string): Promise<CryptoKey> {
  let key = keyCache.get(base64Key);
  if (!key) {
    const raw = fromBase64(base64Key);
    if (raw.length !== 32) throw new Error("ENCRYPTION_KEY must be base64 of 32 bytes");
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keyCache.set(base64Key, key);
  }
  return key;
}

/**
 * AES-GCM with a fresh 96-bit IV; `context` (tenant + integration + side) is the additional data,
 * so a ciphertext copied to another row fails to decrypt. Output: base64(iv || ciphertext).
 */
export async function encryptSecret(base64Key: string, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: enc.encode(context) },
    await aesKey(base64Key),
    enc.encode(plaintext),
  );
  const out = new Uint8Array(12 + ct.byteLength);
  out.set(iv);
  out.set(new Uint8Array(ct), 12);
  return toBase64(out);
}

export async function decryptSecret(base64Key: string, ciphertext: string, context: string): Promise<string> {
  const data = fromBase64(ciphertext);
  const pt = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: data.subarray(0, 12), additionalData: enc.encode(context) },
    await aesKey(base64Key),
    data.subarray(12),
  );
  return new TextDecoder().decode(pt);
}
