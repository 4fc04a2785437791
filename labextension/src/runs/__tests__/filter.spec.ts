import type { IRunRow } from '../../api';
import {
  allTags,
  cellValue,
  compareValues,
  filterRuns,
  hasTags,
  matchesText,
  sortRuns,
  tableColumns
} from '../filter';
import { runRow } from './fixtures';

function run(id: string, patch: Partial<IRunRow> = {}): IRunRow {
  return runRow(id, { name: '', ...patch });
}

const rows = [
  run('CLS-1', { name: 'baseline', tags: ['cnn', 'small'], columns: { 'metrics/acc': 0.8 } }),
  run('CLS-2', { name: 'wide', tags: ['cnn'], columns: { 'metrics/acc': null } }),
  run('CLS-10', { name: 'Transformer', tags: ['attention'], columns: { 'metrics/acc': 0.95 } }),
  run('CLS-3', { name: '', tags: [], columns: { 'metrics/acc': 0.1 } })
];

describe('cellValue', () => {
  it('reads built-in columns and field paths', () => {
    expect(cellValue(rows[0], 'name')).toBe('baseline');
    expect(cellValue(rows[0], 'tags')).toEqual(['cnn', 'small']);
    expect(cellValue(rows[0], 'metrics/acc')).toBe(0.8);
    expect(cellValue(rows[0], 'not/there')).toBeNull();
  });
});

describe('filtering', () => {
  it('matches text in id, name or tags, ignoring case and spaces around', () => {
    expect(matchesText(rows[2], 'transf')).toBe(true);
    expect(matchesText(rows[2], ' cls-10 ')).toBe(true);
    expect(matchesText(rows[0], 'SMALL')).toBe(true);
    expect(matchesText(rows[0], 'wide')).toBe(false);
    expect(matchesText(rows[0], '')).toBe(true);
  });

  it('asks for every tag', () => {
    expect(hasTags(rows[0], ['cnn', 'small'])).toBe(true);
    expect(hasTags(rows[1], ['cnn', 'small'])).toBe(false);
    expect(hasTags(rows[3], [])).toBe(true);
  });

  it('combines text and tags, keeping the order', () => {
    expect(filterRuns(rows, { text: 'cls', tags: ['cnn'] }).map(r => r.id)).toEqual(['CLS-1', 'CLS-2']);
    expect(filterRuns(rows, { text: 'wide', tags: ['cnn'] }).map(r => r.id)).toEqual(['CLS-2']);
    expect(filterRuns(rows, { text: 'nothing', tags: [] })).toEqual([]);
  });
});

describe('compareValues', () => {
  it('orders numbers numerically and text naturally', () => {
    expect(compareValues(9, 10)).toBeLessThan(0);
    expect(compareValues('CLS-9', 'CLS-10')).toBeLessThan(0);
    expect(compareValues('abc', 'ABD')).toBeLessThan(0);
    expect(compareValues(false, true)).toBeLessThan(0);
    expect(compareValues(5, 'text')).toBeLessThan(0);
    expect(compareValues(['a', 'b'], ['a', 'c'])).toBeLessThan(0);
  });
});

describe('sortRuns', () => {
  it('sorts ids naturally, ascending and descending', () => {
    expect(sortRuns(rows, { column: 'id', descending: false }).map(r => r.id)).toEqual(['CLS-1', 'CLS-2', 'CLS-3', 'CLS-10']);
    expect(sortRuns(rows, { column: 'id', descending: true }).map(r => r.id)).toEqual(['CLS-10', 'CLS-3', 'CLS-2', 'CLS-1']);
  });

  it('sorts numbers numerically with missing values last either way', () => {
    expect(sortRuns(rows, { column: 'metrics/acc', descending: false }).map(r => r.id)).toEqual(['CLS-3', 'CLS-1', 'CLS-10', 'CLS-2']);
    expect(sortRuns(rows, { column: 'metrics/acc', descending: true }).map(r => r.id)).toEqual(['CLS-10', 'CLS-1', 'CLS-3', 'CLS-2']);
  });

  it('puts empty names and empty tag lists last', () => {
    expect(sortRuns(rows, { column: 'name', descending: true }).map(r => r.id).pop()).toBe('CLS-3');
    expect(sortRuns(rows, { column: 'tags', descending: false }).map(r => r.id)).toEqual(['CLS-10', 'CLS-2', 'CLS-1', 'CLS-3']);
  });

  it('does not change the input', () => {
    const before = rows.map(r => r.id);
    sortRuns(rows, { column: 'name', descending: false });
    expect(rows.map(r => r.id)).toEqual(before);
  });
});

describe('allTags', () => {
  it('lists each tag once, sorted', () => {
    expect(allTags(rows)).toEqual(['attention', 'cnn', 'small']);
  });
});

describe('tableColumns', () => {
  it('shows picked paths after the state, before tags and creation time', () => {
    expect(tableColumns(['metrics/acc'])).toEqual(['id', 'name', 'state', 'metrics/acc', 'tags', 'creation_time']);
  });
});
