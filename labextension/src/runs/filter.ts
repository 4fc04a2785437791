import type { CellValue, IRunRow } from '../api';

/**
 * The table's columns in order: id, name, state, the picked field paths
 * (what the user asked to see), then tags and creation time.
 */
export function tableColumns(picked: readonly string[]): string[] {
  return ['id', 'name', 'state', ...picked, 'tags', 'creation_time'];
}

/** What the table filters by. */
export interface IRunsFilter {
  /** Matched, case-insensitively, inside the id, the name or a tag. */
  text: string;
  /** Runs must carry every one of these tags. */
  tags: string[];
}

/** What the table sorts by. */
export interface IRunsSort {
  column: string;
  descending: boolean;
}

/** The value of a row in a column: a built-in column or a field path. */
export function cellValue(row: IRunRow, column: string): CellValue {
  switch (column) {
    case 'id':
      return row.id;
    case 'name':
      return row.name;
    case 'state':
      return row.state;
    case 'tags':
      return row.tags;
    case 'creation_time':
      return row.creation_time;
    case 'owner':
      return row.owner;
    default:
      return row.columns[column] ?? null;
  }
}

/** True when the text is in the run's id, name or one of its tags (case-insensitive). */
export function matchesText(row: IRunRow, text: string): boolean {
  const needle = text.trim().toLowerCase();
  if (!needle) {
    return true;
  }
  return [row.id, row.name, ...row.tags].some(value =>
    (value ?? '').toLowerCase().includes(needle)
  );
}

/** True when the run carries every tag asked for. */
export function hasTags(row: IRunRow, tags: readonly string[]): boolean {
  return tags.every(tag => row.tags.includes(tag));
}

/** The rows that pass the filter, in their order. */
export function filterRuns(rows: readonly IRunRow[], filter: IRunsFilter): IRunRow[] {
  return rows.filter(row => matchesText(row, filter.text) && hasTags(row, filter.tags));
}

function isMissing(value: CellValue): boolean {
  return (
    value === null ||
    value === undefined ||
    value === '' ||
    (typeof value === 'number' && Number.isNaN(value)) ||
    (Array.isArray(value) && value.length === 0)
  );
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/**
 * Order two present values: numbers numerically, booleans false first,
 * text naturally ("CLS-2" before "CLS-10"), lists by their joined text;
 * numbers come before text when a column mixes them.
 */
export function compareValues(a: CellValue, b: CellValue): number {
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') {
    return Number(a) - Number(b);
  }
  if (typeof a === 'number' !== (typeof b === 'number')) {
    return typeof a === 'number' ? -1 : 1;
  }
  const text = (value: CellValue) => (Array.isArray(value) ? value.join(', ') : String(value));
  return collator.compare(text(a), text(b));
}

/** The rows sorted by a column; missing values last in either direction; ties keep their order. */
export function sortRuns(rows: readonly IRunRow[], sort: IRunsSort): IRunRow[] {
  const sign = sort.descending ? -1 : 1;
  return rows
    .map((row, index) => ({ row, index, value: cellValue(row, sort.column) }))
    .sort((a, b) => {
      const aMissing = isMissing(a.value);
      const bMissing = isMissing(b.value);
      if (aMissing || bMissing) {
        return aMissing === bMissing ? a.index - b.index : aMissing ? 1 : -1;
      }
      return sign * compareValues(a.value, b.value) || a.index - b.index;
    })
    .map(entry => entry.row);
}

/** Every tag of the rows, sorted. */
export function allTags(rows: readonly IRunRow[]): string[] {
  return [...new Set(rows.flatMap(row => row.tags))].sort(collator.compare);
}
