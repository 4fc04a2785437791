import { formatNumber } from '../chart/format';
import type { CellValue } from '../api';

/** Header titles of the built-in columns; field paths are their own title. */
const COLUMN_TITLES: Record<string, string> = {
  id: 'Id',
  name: 'Name',
  state: 'State',
  tags: 'Tags',
  creation_time: 'Created',
  owner: 'Owner'
};

export function columnTitle(column: string): string {
  return COLUMN_TITLES[column] ?? column;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** An ISO 8601 time as local "YYYY-MM-DD HH:MM" (the text as is when it is no date). */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** True for the ISO 8601 date-times the server sends for datetime fields. */
export function looksLikeDateTime(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value);
}

/** A table cell's text: numbers shortened, lists joined, dates local, missing empty. */
export function formatCell(value: CellValue): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  if (Array.isArray(value)) {
    return value.join(', ');
  }
  return looksLikeDateTime(value) ? formatDateTime(value) : value;
}
