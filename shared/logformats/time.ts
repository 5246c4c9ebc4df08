/** Calendar arithmetic for log timestamps, without Date parsing (whose accepted formats vary by engine). */

/** 1-12 for the English month abbreviation spelled by three character codes (case-sensitive, as logged), else 0. */
export function monthOf(c0: number, c1: number, c2: number): number {
  switch ((c0 << 16) | (c1 << 8) | c2) {
    case 0x4a616e: // Jan
      return 1;
    case 0x466562: // Feb
      return 2;
    case 0x4d6172: // Mar
      return 3;
    case 0x417072: // Apr
      return 4;
    case 0x4d6179: // May
      return 5;
    case 0x4a756e: // Jun
      return 6;
    case 0x4a756c: // Jul
      return 7;
    case 0x417567: // Aug
      return 8;
    case 0x536570: // Sep
      return 9;
    case 0x4f6374: // Oct
      return 10;
    case 0x4e6f76: // Nov
      return 11;
    case 0x446563: // Dec
      return 12;
    default:
      return 0;
  }
}

/** The value of `count` ASCII digits at `at` in a string, or -1 if any of them is not a digit. */
export function digitsAt(text: string, at: number, count: number): number {
  if (at < 0 || at + count > text.length) return -1;
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** {@link digitsAt} over bytes, not reading at or past `end`. */
export function digitsAtBytes(bytes: Uint8Array, at: number, count: number, end: number): number {
  if (at + count > end) return -1;
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Epoch milliseconds of a validated UTC wall-clock time; null when a field is out of range (31 Feb, 25:00). */
export function epochMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond = 0,
): number | null {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
    return null;
  // 60 is a leap second; like most log tools we let it roll into the next minute.
  if (hour > 23 || minute > 59 || second > 60) return null;
  return (((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second) * 1000 + millisecond;
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ`, as Date.prototype.toISOString writes it (what AWS's Node blueprints emit). */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}
