import './polyfills';
import { requestAPI } from '../../request';
import type { IRunsReply } from '../../api';
import { RunsModel } from '../model';
import { RunsPanel } from '../panel';
import { runRow } from './fixtures';

jest.mock('../../request', () => ({ requestAPI: jest.fn() }));
// The icon needs JupyterLab's ESM-only ui-components; the panel only sets it as its title's icon.
jest.mock('../../icons', () => ({ runsIcon: undefined }));
const request = requestAPI as jest.MockedFunction<typeof requestAPI>;

const run = runRow;

const RUNS = [
  run('R-1', { name: 'baseline', tags: ['cnn'], creation_time: '2026-01-01T00:00:00Z', columns: { 'metrics/acc': 0.8 } }),
  run('R-2', { name: 'wide', tags: ['cnn', 'big'], creation_time: '2026-01-02T00:00:00Z', failed: true, columns: { 'metrics/acc': 0.95 } }),
  run('R-3', { name: 'live', state: 'running', creation_time: '2026-01-03T00:00:00Z', columns: { 'metrics/acc': 0.5 } })
];

function reply(): IRunsReply {
  return {
    project: 'ws/proj',
    store: 'local',
    location: '/home/me/.nepnb',
    runs: RUNS,
    paths: [
      { path: 'metrics/acc', type: 'floatSeries' },
      { path: 'params/lr', type: 'float' }
    ],
    truncated: false
  };
}

async function makePanel() {
  request.mockResolvedValue(reply());
  const model = new RunsModel('ws/proj');
  const actions = { open: jest.fn(), compare: jest.fn() };
  const panel = new RunsPanel(model, actions);
  await model.refresh();
  const $ = <T extends Element>(selector: string) => panel.node.querySelector<T>(selector)!;
  const ids = () =>
    Array.from(panel.node.querySelectorAll<HTMLElement>('tr[data-run-id]'), row => row.dataset.runId);
  const rowOf = (id: string) => $<HTMLTableRowElement>(`tr[data-run-id="${id}"]`);
  return { model, actions, panel, $, ids, rowOf };
}

beforeEach(() => request.mockReset());

describe('RunsPanel', () => {
  it('lists the runs newest first with their state marked', async () => {
    const { $, ids, rowOf } = await makePanel();
    expect(ids()).toEqual(['R-3', 'R-2', 'R-1']);
    expect($('.nepnb-Panel-subtitle').textContent).toBe('ws/proj · 3 runs');
    expect(rowOf('R-3').dataset.status).toBe('running');
    expect(rowOf('R-2').dataset.status).toBe('failed');
    expect(rowOf('R-2').querySelector('.nepnb-RunState')!.textContent).toBe('failed');
    expect(Array.from(rowOf('R-2').querySelectorAll('.nepnb-TagChip'), c => c.textContent)).toEqual(['cnn', 'big']);
  });

  it('says which tracking server the runs come from', async () => {
    const { model, $ } = await makePanel();
    expect($<HTMLElement>('.nepnb-Panel-subtitle').title).toBe('ws/proj in the local store /home/me/.nepnb');
    const source = $<HTMLElement>('.nepnb-RunsPanel-source');
    expect(source.hidden).toBe(true);
    request.mockResolvedValue({ ...reply(), store: 'http', location: 'https://track.example:8443' });
    await model.refresh();
    expect($('.nepnb-Panel-subtitle').textContent).toBe('ws/proj · 3 runs');
    expect(source.hidden).toBe(false);
    expect(source.textContent).toBe('server track.example:8443');
    expect($<HTMLElement>('.nepnb-Panel-subtitle').title).toBe(
      'ws/proj in the tracking server https://track.example:8443'
    );
    request.mockResolvedValue({ ...reply(), store: 'local', location: '/home/me/.nepnb' });
    await model.refresh();
    expect(source.hidden).toBe(true);
    expect($<HTMLElement>('.nepnb-Panel-subtitle').title).toBe('ws/proj in the local store /home/me/.nepnb');
  });

  it('filters by text and by a clicked tag, and says how many are shown', async () => {
    const { $, ids, rowOf } = await makePanel();
    const filter = $<HTMLInputElement>('.nepnb-RunsPanel-filter');
    filter.value = 'WID';
    filter.dispatchEvent(new Event('input'));
    expect(ids()).toEqual(['R-2']);
    expect($('.nepnb-Panel-subtitle').textContent).toBe('ws/proj · 1 of 3 runs');
    filter.value = '';
    filter.dispatchEvent(new Event('input'));

    rowOf('R-1').querySelector<HTMLElement>('.nepnb-TagChip[data-tag="cnn"]')!.click();
    expect(ids()).toEqual(['R-2', 'R-1']);
    $<HTMLElement>('.nepnb-RunsPanel-tagFilters [data-tag="cnn"]').click();
    expect(ids()).toHaveLength(3);

    filter.value = 'nothing';
    filter.dispatchEvent(new Event('input'));
    expect($('.nepnb-Panel-hint').textContent).toBe('No run matches the filter.');
  });

  it('sorts by a header click, the other way on a second click', async () => {
    const { $, ids } = await makePanel();
    const header = $<HTMLElement>('th[data-column="name"]');
    header.click();
    expect(ids()).toEqual(['R-1', 'R-3', 'R-2']);
    $<HTMLElement>('th[data-column="name"]').click();
    expect(ids()).toEqual(['R-2', 'R-3', 'R-1']);
    expect($('th[data-column="name"]').getAttribute('aria-sort')).toBe('descending');
  });

  it('adds a picked column with the last values, sortable and removable', async () => {
    const { $, ids, rowOf, model } = await makePanel();
    const picker = $<HTMLSelectElement>('.nepnb-RunsPanel-columnPicker');
    expect(Array.from(picker.options, o => o.value)).toEqual(['', 'metrics/acc', 'params/lr']);
    picker.value = 'metrics/acc';
    picker.dispatchEvent(new Event('change'));
    await model.refresh();
    expect(request).toHaveBeenCalledWith('runs?project=ws%2Fproj&columns=metrics%2Facc');
    expect(rowOf('R-2').querySelector('td[data-column="metrics/acc"]')!.textContent).toBe('0.95');
    expect(Array.from($<HTMLSelectElement>('.nepnb-RunsPanel-columnPicker').options, o => o.value)).toEqual(['', 'params/lr']);
    $<HTMLElement>('th[data-column="metrics/acc"]').click();
    expect(ids()).toEqual(['R-3', 'R-1', 'R-2']);
    $<HTMLElement>('[data-remove-column="metrics/acc"]').click();
    expect($('th[data-column="metrics/acc"]')).toBeNull();
  });

  it('selects one run by click, more with the boxes; opens and compares them', async () => {
    const { $, rowOf, actions, model } = await makePanel();
    const open = $<HTMLButtonElement>('.nepnb-open');
    const compare = $<HTMLButtonElement>('.nepnb-compare');
    expect(open.disabled).toBe(true);
    expect(compare.disabled).toBe(true);

    const row = rowOf('R-1');
    row.querySelector<HTMLElement>('td[data-column="name"]')!.click();
    expect(model.selection).toEqual(['R-1']);
    expect(open.disabled).toBe(false);
    // A selection change keeps the row elements (a double click lands on the same row).
    expect(rowOf('R-1')).toBe(row);
    expect(row.classList.contains('nepnb-mod-selected')).toBe(true);

    rowOf('R-2').querySelector<HTMLInputElement>('input[type="checkbox"]')!.click();
    expect(model.selection).toEqual(['R-1', 'R-2']);
    expect(open.disabled).toBe(true);
    expect(compare.textContent).toBe('Compare 2');
    compare.click();
    expect(actions.compare).toHaveBeenCalledWith(['R-1', 'R-2']);

    rowOf('R-3').querySelector('td')!.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    expect(actions.open).toHaveBeenCalledWith('R-3');
  });

  it('shows why the list is missing when the server fails', async () => {
    request.mockRejectedValue(new Error('no runs API'));
    const model = new RunsModel();
    const panel = new RunsPanel(model, { open: jest.fn(), compare: jest.fn() });
    await model.refresh();
    expect(panel.node.dataset.state).toBe('error');
    expect(panel.node.querySelector('.nepnb-Panel-hint')!.textContent).toBe('Could not load the runs: no runs API');
  });
});
