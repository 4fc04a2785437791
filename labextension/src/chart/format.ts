/** Formatting of the numbers, steps and times a chart or a table shows. */

/** A number with about `digits` significant digits, short and unambiguous. */
export function formatNumber(
  value: number | null | undefined,
  digits = 4
): string {
  if (value === null || value === undefined) {
    return '–';
  }
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? '∞' : '-∞';
  }
  if (value === 0) {
    return '0';
  }
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-4) {
    return trimExponential(value.toExponential(Math.max(digits - 2, 1)));
  }
  if (magnitude >= 1) {
    const integerDigits = Math.floor(Math.log10(magnitude)) + 1;
    return String(Number(value.toFixed(Math.max(digits - integerDigits, 0))));
  }
  return String(Number(value.toPrecision(digits)));
}

/** "1.50e+7" → "1.5e+7", "2.00e-5" → "2e-5". */
function trimExponential(text: string): string {
  return text.replace(/\.?0+e/, 'e');
}

/** A step: integers as they are, fractions shortened. */
export function formatStep(step: number | null | undefined): string {
  if (typeof step === 'number' && Number.isInteger(step)) {
    return String(step);
  }
  return formatNumber(step, 6);
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** Seconds since the epoch as local "YYYY-MM-DD HH:MM:SS". */
export function formatTime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return '–';
  }
  const date = new Date(seconds * 1000);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}
