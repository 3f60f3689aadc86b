// Display helpers. Money arrives as exact decimal USD strings; charts take numbers.

export function usd(money) {
  if (!money) return "$0";
  const value = Number(money.usd);
  if (value === 0) return "$0";
  if (Math.abs(value) >= 1) return `$${value.toFixed(2)}`;
  if (Math.abs(value) >= 0.01) return `$${value.toFixed(4)}`;
  // Fractions of a cent read better as micro-dollars than in exponent notation.
  if (Math.abs(value) < 0.0001) return `${(value * 1e6).toPrecision(3)} µ$`;
  return `$${value.toPrecision(3)}`;
}

export function usdNumber(money) {
  return money ? Number(money.usd) : 0;
}

export function ms(value) {
  if (value === null || value === undefined) return "–";
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

export function percent(fraction) {
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 2 : 1)} %`;
}

export function time(epochMs, bucket) {
  const d = new Date(epochMs);
  const iso = d.toISOString();
  if (bucket === "day") return iso.slice(0, 10);
  if (bucket === "hour") return `${iso.slice(5, 10)} ${iso.slice(11, 13)}h`;
  return iso.slice(11, 16);
}

export function clock(epochMs) {
  return new Date(epochMs).toISOString().slice(11, 19) + " UTC";
}

// A stable colour per key, so a model keeps its colour across charts and refreshes.
const PALETTE = [
  "#245a8d", "#e07b39", "#3a9d5d", "#c0392b", "#8e5fb5", "#2aa3b3", "#b5892a", "#6b7a8f",
  "#d35f9c", "#4f6d2f", "#9c4f2f", "#2f4f9c",
];
export function colour(key) {
  let h = 0;
  for (const c of key) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}
