// Prices arrive as decimal strings ("149.00"); sums are done in whole cents.

export function centsOf(price) {
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(String(price ?? "").trim());
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? "0").padEnd(2, "0"));
}

export function dollars(cents) {
  const whole = Math.floor(cents / 100).toLocaleString("en-US");
  return `$${whole}.${String(cents % 100).padStart(2, "0")}`;
}
