/**
 * The checkpoint UI's pure logic (no JupyterLab imports, unit-tested with jest):
 * message checks, selection rules, and the line layout of a compare view.
 */

/** The longest summary line the server accepts (see nepnb/notebooks/checkpoints.py). */
export const MAX_SUMMARY = 512;

/** " (run CLS-1)", " (runs CLS-1, CLS-2)", or '' for none: the runs a checkpoint is linked to. */
export function linkedRunsNote(runs: readonly string[]): string {
  if (!runs.length) {
    return '';
  }
  return ` (${runs.length === 1 ? 'run' : 'runs'} ${runs.join(', ')})`;
}
/** The longest body the server accepts. */
export const MAX_BODY = 65536;

/** A checkpoint as the server extension lists it (`GET /nepnb/api/checkpoints`). */
export interface ICheckpoint {
  id: string;
  project: string;
  notebook_id: string;
  seq: number;
  parent_id: string | null;
  path: string;
  summary: string;
  body: string | null;
  author: string;
  /** Seconds since the epoch. */
  created: number;
  runs: string[];
  stats: Record<string, number>;
}

/** `GET /nepnb/api/checkpoints?path=`. */
export interface ICheckpointList {
  path: string;
  notebook_id: string | null;
  checkpoints: ICheckpoint[];
}

/** `POST /nepnb/api/checkpoints`. */
export interface IUploadReply {
  checkpoint: ICheckpoint;
  notebook_id: string;
  id_assigned: boolean;
  new_parts: number;
}

/** What is wrong with a checkpoint message, or null when it can be uploaded. */
export function messageProblem(summary: string, body = ''): string | null {
  const line = summary.trim();
  if (!line) {
    return 'Write a summary line: what changed since the last checkpoint.';
  }
  if (line.includes('\n')) {
    return 'The summary is one line; put details in the body.';
  }
  if (line.length > MAX_SUMMARY) {
    return `The summary has ${line.length} characters; keep it under ${MAX_SUMMARY} and put the rest in the body.`;
  }
  if (body.length > MAX_BODY) {
    return `The body has ${body.length} characters; the most is ${MAX_BODY}.`;
  }
  return null;
}

/** Newest first (by sequence number, then time). */
export function newestFirst(checkpoints: ICheckpoint[]): ICheckpoint[] {
  return [...checkpoints].sort((a, b) => b.seq - a.seq || b.created - a.created);
}

/**
 * Toggle `id` in a selection of at most two checkpoints: selecting a third one drops
 * the oldest selected, so the two last clicked are compared.
 */
export function toggleSelection(selection: string[], id: string): string[] {
  if (selection.includes(id)) {
    return selection.filter(s => s !== id);
  }
  return [...selection, id].slice(-2);
}

/** The two sides of a comparison: the older checkpoint as `a`; `b` is a checkpoint or 'current'. */
export interface ICompareTarget {
  a: string;
  b: string;
}

/**
 * What the selection compares: two checkpoints (older first), or one checkpoint with the
 * notebook as it is now. Null when nothing is selected.
 */
export function compareTarget(
  selection: string[],
  checkpoints: ICheckpoint[]
): ICompareTarget | null {
  const chosen = checkpoints.filter(c => selection.includes(c.id));
  if (chosen.length === 0) {
    return null;
  }
  if (chosen.length === 1) {
    return { a: chosen[0].id, b: 'current' };
  }
  const [older, newer] = [...chosen].sort((x, y) => x.seq - y.seq);
  return { a: older.id, b: newer.id };
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", else the date. */
export function timeAgo(seconds: number, now: number = Date.now() / 1000): string {
  const delta = Math.max(0, now - seconds);
  if (delta < 45) {
    return 'just now';
  }
  if (delta < 3600) {
    return `${Math.round(delta / 60)} min ago`;
  }
  if (delta < 86400) {
    return `${Math.round(delta / 3600)} h ago`;
  }
  if (delta < 7 * 86400) {
    const days = Math.round(delta / 86400);
    return `${days} day${days === 1 ? '' : 's'} ago`;
  }
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** "12 s", "4 min", "2 h 5 min". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  const minutes = Math.floor(s / 60);
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/* ---- compare ---- */

/** A run of lines of a diff, as the server sends it. */
export interface ILineOp {
  op: 'equal' | 'delete' | 'insert' | 'skip' | 'omitted';
  lines?: string[];
  count?: number;
}

/** One row of a unified diff. */
export interface IUnifiedRow {
  kind: 'equal' | 'delete' | 'insert' | 'skip';
  text: string;
  /** Line numbers on each side (1-based), null where the line is not on that side. */
  a: number | null;
  b: number | null;
}

/** One row of a side-by-side diff: a line of a, a line of b, or both. */
export interface ISideRow {
  kind: 'equal' | 'change' | 'delete' | 'insert' | 'skip';
  a: { n: number; text: string } | null;
  b: { n: number; text: string } | null;
  /** For skip rows: how many lines are left out. */
  skipped?: number;
}

function skipText(op: ILineOp): string {
  return op.op === 'skip'
    ? `⋯ ${op.count} unchanged line${op.count === 1 ? '' : 's'}`
    : `⋯ ${op.count} more line${op.count === 1 ? '' : 's'} (cut to keep the diff short)`;
}

/** The rows of a unified diff, with the line numbers of both sides. */
export function unifiedRows(ops: ILineOp[]): IUnifiedRow[] {
  const rows: IUnifiedRow[] = [];
  let a = 1;
  let b = 1;
  for (const op of ops) {
    if (op.op === 'skip' || op.op === 'omitted') {
      rows.push({ kind: 'skip', text: skipText(op), a: null, b: null });
      if (op.op === 'skip') {
        a += op.count ?? 0;
        b += op.count ?? 0;
      }
      continue;
    }
    for (const text of op.lines ?? []) {
      if (op.op === 'equal') {
        rows.push({ kind: 'equal', text, a: a++, b: b++ });
      } else if (op.op === 'delete') {
        rows.push({ kind: 'delete', text, a: a++, b: null });
      } else {
        rows.push({ kind: 'insert', text, a: null, b: b++ });
      }
    }
  }
  return rows;
}

/**
 * The rows of a side-by-side diff: a deletion followed by an insertion is paired line by
 * line as a change, like GitHub's split view.
 */
export function sideBySideRows(ops: ILineOp[]): ISideRow[] {
  const rows: ISideRow[] = [];
  let a = 1;
  let b = 1;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.op === 'skip' || op.op === 'omitted') {
      rows.push({ kind: 'skip', a: null, b: null, skipped: op.count ?? 0 });
      if (op.op === 'skip') {
        a += op.count ?? 0;
        b += op.count ?? 0;
      }
      continue;
    }
    const lines = op.lines ?? [];
    if (op.op === 'equal') {
      for (const text of lines) {
        rows.push({ kind: 'equal', a: { n: a++, text }, b: { n: b++, text } });
      }
    } else if (op.op === 'delete') {
      const next = ops[i + 1];
      const inserted = next && next.op === 'insert' ? (next.lines ?? []) : [];
      if (inserted.length) {
        i++;
      }
      const pairs = Math.max(lines.length, inserted.length);
      for (let k = 0; k < pairs; k++) {
        const left = k < lines.length ? { n: a++, text: lines[k] } : null;
        const right = k < inserted.length ? { n: b++, text: inserted[k] } : null;
        rows.push({ kind: left && right ? 'change' : left ? 'delete' : 'insert', a: left, b: right });
      }
    } else {
      for (const text of lines) {
        rows.push({ kind: 'insert', a: null, b: { n: b++, text } });
      }
    }
  }
  return rows;
}

/** A one-line description of what changed in a cell ("source and outputs changed", "moved"…). */
export function cellChangeLabel(cell: {
  status: string;
  moved?: boolean;
  changed_parts?: string[];
}): string {
  switch (cell.status) {
    case 'added':
      return 'added';
    case 'removed':
      return 'removed';
    case 'moved':
      return 'moved';
    case 'unchanged':
      return 'unchanged';
    default: {
      const parts = cell.changed_parts ?? [];
      const what = parts.length ? parts.join(' and ') : 'cell';
      return `${what} changed${cell.moved ? ', moved' : ''}`;
    }
  }
}

/* ---- the compare reply (`GET /nepnb/api/compare`, nepnb/notebooks/compare.py) ---- */

export interface IOutputChange {
  status: 'unchanged' | 'added' | 'removed' | 'changed';
  a_index: number | null;
  b_index: number | null;
  output_type: string;
  kind: 'text' | 'image' | 'error' | 'other';
  mime: string | null;
  text_diff?: ILineOp[];
  image?: {
    changed: boolean;
    score: number;
    changed_fraction: number;
    size_a: [number, number];
    size_b: [number, number];
    diff_png: string | null;
    note: string;
  };
  preview?: string[];
  note?: string;
  /** With `viewer=1`: the images of each side, base64. */
  image_data?: { a?: string; b?: string };
}

export interface IMetadataChange {
  key: string;
  status: 'added' | 'removed' | 'changed';
  a: unknown;
  b: unknown;
}

export interface ICellChange {
  status: 'unchanged' | 'added' | 'removed' | 'moved' | 'changed';
  a_index: number | null;
  b_index: number | null;
  cell_type: string;
  cell_id: string | null;
  moved: boolean;
  source_a?: string | null;
  source_b?: string | null;
  /** With `viewer=1`: an unchanged cell's source. */
  source?: string;
  source_diff?: ILineOp[] | null;
  outputs?: IOutputChange[];
  metadata?: IMetadataChange[];
  execution_count?: [unknown, unknown] | null;
  changed_parts?: string[];
}

export interface INotebookDiff {
  a: string;
  b: string;
  summary: Record<string, number>;
  summary_line: string;
  outputs_compared: boolean;
  metadata: IMetadataChange[];
  cells: ICellChange[];
}

/** Consecutive unchanged cells folded into one group, the others kept one by one. */
export type DiffBlock =
  | { kind: 'cell'; cell: ICellChange }
  | { kind: 'unchanged'; cells: ICellChange[] };

/**
 * Group a diff's cells for display: runs of unchanged cells longer than `keep` fold into
 * one block (the first and last `context` of them stay visible next to changes).
 */
export function foldUnchanged(cells: ICellChange[], context = 1): DiffBlock[] {
  const blocks: DiffBlock[] = [];
  let run: ICellChange[] = [];
  const flush = (atStart: boolean, atEnd: boolean) => {
    const before = atStart ? 0 : context;
    const after = atEnd ? 0 : context;
    // With context, a single cell is shown rather than folded; without, every run folds
    // (the compare view's "Show unchanged cells" off).
    if (run.length <= before + after + (context > 0 ? 1 : 0)) {
      run.forEach(cell => blocks.push({ kind: 'cell', cell }));
    } else {
      run.slice(0, before).forEach(cell => blocks.push({ kind: 'cell', cell }));
      blocks.push({ kind: 'unchanged', cells: run.slice(before, run.length - after) });
      run.slice(run.length - after).forEach(cell => blocks.push({ kind: 'cell', cell }));
    }
    run = [];
  };
  let start = true;
  for (const cell of cells) {
    if (cell.status === 'unchanged') {
      run.push(cell);
    } else {
      if (run.length) {
        flush(start, false);
      }
      start = false;
      blocks.push({ kind: 'cell', cell });
    }
  }
  if (run.length) {
    flush(start, true);
  }
  return blocks;
}

/** The whole source as lines for a cell shown without a diff (added, removed, unchanged). */
export function sourceLines(source: string | string[] | null | undefined): string[] {
  if (source === null || source === undefined) {
    return [];
  }
  const text = Array.isArray(source) ? source.join('') : source;
  return text === '' ? [] : text.split('\n');
}

/** A changed line split around what changed: the common start and end, and the middle of
 * each side (what GitHub highlights within a changed line). */
export interface IInlineChange {
  prefix: string;
  a: string;
  b: string;
  suffix: string;
}

/** Where two versions of a line differ: their longest common prefix and suffix. */
export function inlineChange(a: string, b: string): IInlineChange {
  let start = 0;
  const shortest = Math.min(a.length, b.length);
  while (start < shortest && a[start] === b[start]) {
    start++;
  }
  let end = 0;
  while (end < shortest - start && a[a.length - 1 - end] === b[b.length - 1 - end]) {
    end++;
  }
  return {
    prefix: a.slice(0, start),
    a: a.slice(start, a.length - end),
    b: b.slice(start, b.length - end),
    suffix: a.slice(a.length - end)
  };
}
