import {
  foldUnchanged,
  inlineChange,
  ICellChange,
  sourceLines,
  cellChangeLabel,
  compareTarget,
  duration,
  ICheckpoint,
  linkedRunsNote,
  messageProblem,
  newestFirst,
  sideBySideRows,
  timeAgo,
  toggleSelection,
  unifiedRows
} from '../logic';

function checkpoint(id: string, seq: number, created = 1000 + seq): ICheckpoint {
  return {
    id,
    project: 'local/default',
    notebook_id: 'nb',
    seq,
    parent_id: null,
    path: 'a.ipynb',
    summary: `checkpoint ${seq}`,
    body: null,
    author: 'me',
    created,
    runs: [],
    stats: {}
  };
}

describe('linkedRunsNote', () => {
  it('says run for one run and runs for several', () => {
    expect(linkedRunsNote([])).toBe('');
    expect(linkedRunsNote(['DEF-1'])).toBe(' (run DEF-1)');
    expect(linkedRunsNote(['DEF-1', 'DEF-2'])).toBe(' (runs DEF-1, DEF-2)');
  });
});

describe('messageProblem', () => {
  it('refuses an empty or blank summary', () => {
    expect(messageProblem('')).toMatch(/summary/);
    expect(messageProblem('   \t')).toMatch(/summary/);
  });
  it('accepts a summary with a body', () => {
    expect(messageProblem('Tune the learning rate', 'lr 0.1 -> 0.01')).toBeNull();
  });
  it('refuses a multi-line summary and a too long one', () => {
    expect(messageProblem('one\ntwo')).toMatch(/one line/);
    expect(messageProblem('x'.repeat(513))).toMatch(/513 characters/);
    expect(messageProblem('x'.repeat(512))).toBeNull();
  });
  it('refuses a body over the limit', () => {
    expect(messageProblem('ok', 'b'.repeat(65537))).toMatch(/65537/);
  });
});

describe('selection and compare targets', () => {
  const list = [checkpoint('c1', 1), checkpoint('c2', 2), checkpoint('c3', 3)];

  it('sorts newest first', () => {
    expect(newestFirst(list).map(c => c.id)).toEqual(['c3', 'c2', 'c1']);
  });
  it('keeps the two last selected', () => {
    let selection: string[] = [];
    selection = toggleSelection(selection, 'c1');
    selection = toggleSelection(selection, 'c2');
    selection = toggleSelection(selection, 'c3');
    expect(selection).toEqual(['c2', 'c3']);
    expect(toggleSelection(selection, 'c2')).toEqual(['c3']);
  });
  it('compares the older as a, whatever the click order', () => {
    expect(compareTarget(['c3', 'c1'], list)).toEqual({ a: 'c1', b: 'c3' });
  });
  it('compares one checkpoint with the current notebook', () => {
    expect(compareTarget(['c2'], list)).toEqual({ a: 'c2', b: 'current' });
    expect(compareTarget([], list)).toBeNull();
    expect(compareTarget(['gone'], list)).toBeNull();
  });
});

describe('times', () => {
  it('says how long ago', () => {
    expect(timeAgo(1000, 1010)).toBe('just now');
    expect(timeAgo(1000, 1000 + 300)).toBe('5 min ago');
    expect(timeAgo(1000, 1000 + 2 * 3600)).toBe('2 h ago');
    expect(timeAgo(1000, 1000 + 86400)).toBe('1 day ago');
    expect(timeAgo(0, 30 * 86400)).toBe('1970-01-01');
  });
  it('formats durations', () => {
    expect(duration(12.4)).toBe('12 s');
    expect(duration(240)).toBe('4 min');
    expect(duration(2 * 3600 + 300)).toBe('2 h 5 min');
    expect(duration(3600)).toBe('1 h');
  });
});

describe('diff layouts', () => {
  const ops = [
    { op: 'skip' as const, count: 2 },
    { op: 'equal' as const, lines: ['a = 1'] },
    { op: 'delete' as const, lines: ['b = 2', 'c = 3'] },
    { op: 'insert' as const, lines: ['b = 20'] },
    { op: 'insert' as const, lines: ['d = 4'] }
  ];

  it('numbers unified rows on both sides', () => {
    const rows = unifiedRows(ops);
    expect(rows.map(r => [r.kind, r.a, r.b])).toEqual([
      ['skip', null, null],
      ['equal', 3, 3],
      ['delete', 4, null],
      ['delete', 5, null],
      ['insert', null, 4],
      ['insert', null, 5]
    ]);
    expect(rows[0].text).toMatch(/2 unchanged lines/);
  });

  it('pairs deletions with insertions side by side', () => {
    const rows = sideBySideRows(ops);
    expect(rows.map(r => r.kind)).toEqual(['skip', 'equal', 'change', 'delete', 'insert']);
    expect(rows[2].a).toEqual({ n: 4, text: 'b = 2' });
    expect(rows[2].b).toEqual({ n: 4, text: 'b = 20' });
    expect(rows[3].a).toEqual({ n: 5, text: 'c = 3' });
    expect(rows[4].b).toEqual({ n: 5, text: 'd = 4' });
  });

  it('says what changed in a cell', () => {
    expect(cellChangeLabel({ status: 'changed', changed_parts: ['source', 'outputs'] })).toBe(
      'source and outputs changed'
    );
    expect(cellChangeLabel({ status: 'changed', moved: true, changed_parts: ['source'] })).toBe(
      'source changed, moved'
    );
    expect(cellChangeLabel({ status: 'added' })).toBe('added');
  });
});

describe('folding unchanged cells', () => {
  const cell = (status: ICellChange['status'], i: number): ICellChange => ({
    status,
    a_index: i,
    b_index: i,
    cell_type: 'code',
    cell_id: null,
    moved: false
  });

  it('folds long runs of unchanged cells, keeping context next to changes', () => {
    const cells = [
      ...[0, 1, 2, 3].map(i => cell('unchanged', i)),
      cell('changed', 4),
      ...[5, 6, 7, 8, 9].map(i => cell('unchanged', i)),
      cell('added', 10),
      ...[11, 12, 13].map(i => cell('unchanged', i))
    ];
    const blocks = foldUnchanged(cells, 1);
    const shape = blocks.map(b =>
      b.kind === 'cell' ? `${b.cell.status[0]}${b.cell.a_index}` : `fold${b.cells.length}`
    );
    expect(shape).toEqual(['fold3', 'u3', 'c4', 'u5', 'fold3', 'u9', 'a10', 'u11', 'fold2']);
  });

  it('folds every run, even of one cell, without context (unchanged cells hidden)', () => {
    const blocks = foldUnchanged([cell('changed', 0), cell('unchanged', 1), cell('changed', 2)], 0);
    const shape = blocks.map(b =>
      b.kind === 'cell' ? `${b.cell.status[0]}${b.cell.a_index}` : `fold${b.cells.length}`
    );
    expect(shape).toEqual(['c0', 'fold1', 'c2']);
  });

  it('finds the changed characters within a line', () => {
    expect(inlineChange('y = math.sqrt(x)', 'y = math.sqrt(x) * 2')).toEqual({
      prefix: 'y = math.sqrt(x)',
      a: '',
      b: ' * 2',
      suffix: ''
    });
    expect(inlineChange('lr = 0.1  # base', 'lr = 0.01  # base')).toEqual({
      prefix: 'lr = 0.',
      a: '',
      b: '0',
      suffix: '1  # base'
    });
    expect(inlineChange('aaa', 'aaa')).toEqual({ prefix: 'aaa', a: '', b: '', suffix: '' });
    expect(inlineChange('abc', 'xyz')).toEqual({ prefix: '', a: 'abc', b: 'xyz', suffix: '' });
  });

  it('keeps short runs as they are', () => {
    const blocks = foldUnchanged([cell('changed', 0), cell('unchanged', 1), cell('changed', 2)]);
    expect(blocks.every(b => b.kind === 'cell')).toBe(true);
  });

  it('splits sources into lines', () => {
    expect(sourceLines('a\nb')).toEqual(['a', 'b']);
    expect(sourceLines(['a\n', 'b'])).toEqual(['a', 'b']);
    expect(sourceLines('')).toEqual([]);
    expect(sourceLines(null)).toEqual([]);
  });
});
