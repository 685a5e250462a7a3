/** Calendar helpers in Europe/Copenhagen: months (R10), dates of orders, import ranges. */
const TZ = "Europe/Copenhagen";

const partsFormat = new Intl.DateTimeFormat("en-CA", {
  timeZone: TZ,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

function parts(at: Date) {
  const p = Object.fromEntries(partsFormat.formatToParts(at).map((x) => [x.type, x.value]));
  return { y: +p.year, m: +p.month, d: +p.day, h: +p.hour, min: +p.minute, s: +p.second };
}

/** `YYYY-MM` of the instant in Copenhagen. */
export function copenhagenMonth(at: Date | string): string {
  const p = parts(new Date(at));
  return `${p.y}-${String(p.m).padStart(2, "0")}`;
}

/** `YYYY-MM-DD` of the instant in Copenhagen. */
export function copenhagenDate(at: Date | string): string {
  const p = parts(new Date(at));
  return `${p.y}-${String(p.m).padStart(2, "0")}-${String(p.d).padStart(2, "0")}`;
}

/** The UTC instant of local midnight starting `YYYY-MM-DD` in Copenhagen. */
export function copenhagenMidnightUtc(date: string): Date {
  return copenhagenTimeUtc(date, 0);
}

/** The UTC instant of `hour`:00 local time on `YYYY-MM-DD` in Copenhagen (e.g. the 07:00 digest), whatever the DST. */
export function copenhagenTimeUtc(date: string, hour: number): Date {
  const [y, m, d] = date.split("-").map(Number);
  // Copenhagen is UTC+1 or UTC+2; try both offsets and keep the one that maps back to that local time.
  for (const offset of [1, 2]) {
    const guess = new Date(Date.UTC(y, m - 1, d, hour - offset));
    const p = parts(guess);
    if (p.y === y && p.m === m && p.d === d && p.h === hour && p.min === 0) return guess;
  }
  return new Date(Date.UTC(y, m - 1, d, hour - 1));
}

/** The day after `YYYY-MM-DD`. */
export function nextDate(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

export const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
export const DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export function isValidDate(date: string): boolean {
  if (!DATE_RE.test(date)) return false;
  const [y, m, d] = date.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

export const nowIso = () => new Date().toISOString();
