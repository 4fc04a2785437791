import './polyfills';

import { requestAPI } from '../../request';
import type { IRunDetail } from '../../api';
import { RunDetail } from '../detail';
import { describeField, openNamespaces, renderFieldTree } from '../fieldtree';
import { RunsModel } from '../model';

jest.mock('../../request', () => ({ requestAPI: jest.fn() }));
jest.mock('../../icons', () => ({ runsIcon: undefined }));
const request = requestAPI as jest.MockedFunction<typeof requestAPI>;

const DETAIL: IRunDetail = {
  project: 'ws/proj',
  id: 'R-7',
  name: 'wide',
  state: 'running',
  fields: [
    { path: 'metrics/acc', type: 'floatSeries', value: 0.9, count: 3000, first_step: 0, last_step: 2999 },
    { path: 'metrics/loss', type: 'floatSeries', value: 0.1, count: 3000, first_step: 0, last_step: 2999 },
    { path: 'params/lr', type: 'float', value: 0.005 },
    { path: 'sys/failed', type: 'bool', value: false }
  ]
};

beforeEach(() => request.mockReset());

describe('field tree', () => {
  it('describes series by their points and steps', () => {
    expect(describeField(DETAIL.fields[0])).toBe('floatSeries · 3000 points, steps 0–2999');
    expect(describeField(DETAIL.fields[2])).toBe('float');
  });

  it('opens the top-level namespaces but sys by default, or the ones asked for', () => {
    expect(openNamespaces(renderFieldTree(DETAIL.fields))).toEqual(new Set(['metrics', 'params']));
    expect(openNamespaces(renderFieldTree(DETAIL.fields, new Set(['sys'])))).toEqual(new Set(['sys']));
  });
});

describe('RunDetail', () => {
  it('shows the run, a chart per float series and its fields', async () => {
    request.mockResolvedValue(DETAIL);
    const detail = new RunDetail(new RunsModel('ws/proj'), 'R-7');
    await detail.load();
    expect(request).toHaveBeenCalledWith('runs/R-7?project=ws%2Fproj');
    const node = detail.node;
    expect(detail.title.label).toBe('Run R-7');
    expect(node.querySelector('.nepnb-RunDetail-title')!.textContent).toBe('R-7 · wide');
    expect(node.querySelector('.nepnb-RunState')!.textContent).toBe('running');
    const cards = Array.from(node.querySelectorAll<HTMLElement>('.nepnb-RunDetail-chartCard'), c => c.dataset.path);
    expect(cards).toEqual(['metrics/acc', 'metrics/loss']);
    expect(node.querySelector('.nepnb-FieldTree-field[data-path="params/lr"] .nepnb-FieldTree-value')!.textContent).toBe('0.005');
    detail.dispose();
  });

  it('keeps the namespaces the user opened and the charts when loaded again', async () => {
    request.mockResolvedValue(DETAIL);
    const detail = new RunDetail(new RunsModel(), 'R-7', 'other/proj');
    await detail.load();
    expect(request).toHaveBeenCalledWith('runs/R-7?project=other%2Fproj');
    const chart = detail.node.querySelector('.nepnb-Chart');
    detail.node.querySelector<HTMLDetailsElement>('details[data-path="sys"]')!.open = true;
    detail.node.querySelector<HTMLDetailsElement>('details[data-path="params"]')!.open = false;
    await detail.load();
    const tree = detail.node.querySelector('.nepnb-FieldTree')!;
    expect(openNamespaces(tree)).toEqual(new Set(['metrics', 'sys']));
    expect(detail.node.querySelector('.nepnb-Chart')).toBe(chart);
    detail.dispose();
  });

  it('says so when the run cannot be loaded', async () => {
    request.mockRejectedValue(new Error('no run R-9'));
    const detail = new RunDetail(new RunsModel(), 'R-9');
    await detail.load();
    expect(detail.node.dataset.state).toBe('error');
    expect(detail.node.querySelector('.nepnb-Panel-hint')!.textContent).toBe('Could not load run R-9: no run R-9');
    detail.dispose();
  });
});
