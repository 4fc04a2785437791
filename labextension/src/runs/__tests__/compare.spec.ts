import './polyfills';

import { requestAPI } from '../../request';
import type { IRunDetail } from '../../api';
import { CompareRuns } from '../compare';
import { RunsModel } from '../model';

jest.mock('../../request', () => ({ requestAPI: jest.fn() }));
jest.mock('../../icons', () => ({ runsIcon: undefined }));
const request = requestAPI as jest.MockedFunction<typeof requestAPI>;

function detail(id: string, name: string, series: string[]): IRunDetail {
  return {
    project: 'p',
    id,
    name,
    state: 'inactive',
    fields: series.map(path => ({ path, type: 'floatSeries', value: 1, count: 10 }))
  };
}

const DETAILS: Record<string, IRunDetail> = {
  'R-1': detail('R-1', 'base', ['monitoring/cpu', 'metrics/acc', 'metrics/loss']),
  'R-2': detail('R-2', '', ['monitoring/cpu', 'metrics/acc'])
};

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
}

describe('CompareRuns', () => {
  it('charts the first logged path of every run, one line per run, and follows the path picker', async () => {
    request.mockImplementation(async (endPoint = '') => DETAILS[endPoint.split(/[/?]/)[1]]);
    const compare = new CompareRuns(new RunsModel(), ['R-1', 'R-2']);
    await flush();
    expect(compare.title.label).toBe('Compare 2 runs');
    expect(compare.node.querySelector('.nepnb-RunDetail-title')!.textContent).toBe('Compare R-1 base, R-2');
    const boxes = Array.from(compare.node.querySelectorAll<HTMLInputElement>('.nepnb-CompareRuns-paths input'));
    expect(boxes.map(b => [b.value, b.checked])).toEqual([
      ['metrics/acc', true],
      ['monitoring/cpu', false],
      ['metrics/loss', false]
    ]);
    expect(compare.chart.seriesList.map(s => s.label)).toEqual(['R-1 base', 'R-2']);

    boxes[2].checked = true;
    boxes[2].dispatchEvent(new Event('change', { bubbles: true }));
    // R-2 has no metrics/loss: no line for it
    expect(compare.chart.seriesList.map(s => s.label)).toEqual([
      'R-1 base · metrics/acc',
      'R-2 · metrics/acc',
      'R-1 base · metrics/loss'
    ]);
    compare.dispose();
  });
});
