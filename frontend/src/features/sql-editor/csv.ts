// CSV of a result, built in the browser (RFC 4180): fields holding a comma, a quote, a line break or surrounding
// spaces are quoted, quotes doubled, lines end with CRLF. Values are written as the grid shows them: null as an empty
// field, objects and arrays as JSON.
import { displayValue } from '../../lib/format.ts';

export function csvField(value: unknown): string {
  const text = displayValue(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) lines.push(columns.map((column) => csvField(row[column])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** A file name for an export: `query-result-<YYYYMMDD-HHMMSS>.csv` in local time. */
export function csvFileName(at: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}`;
  const time = `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
  return `query-result-${date}-${time}.csv`;
}
