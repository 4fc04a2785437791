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
  it("charts each of the user's metrics on a chart of its own, one colour per run on all of them", async () => {
    request.mockImplementation(async (endPoint = '') => DETAILS[endPoint.split(/[/?]/)[1]]);
    const compare = new CompareRuns(new RunsModel(), ['R-1', 'R-2']);
    await flush();
    expect(compare.title.label).toBe('Compare 2 runs');
    expect(compare.node.querySelector('.nepnb-RunDetail-title')!.textContent).toBe('Compare R-1 base, R-2');
    const boxes = Array.from(compare.node.querySelectorAll<HTMLInputElement>('.nepnb-CompareRuns-paths input'));
    expect(boxes.map(b => [b.value, b.checked])).toEqual([
      ['metrics/acc', true],
      ['metrics/loss', true],
      ['monitoring/cpu', false]
    ]);
    expect([...compare.charts.keys()]).toEqual(['metrics/acc', 'metrics/loss']);
    const acc = compare.charts.get('metrics/acc')!.seriesList;
    const loss = compare.charts.get('metrics/loss')!.seriesList;
    expect(acc.map(s => s.label)).toEqual(['R-1 base', 'R-2']);
    // R-2 has no metrics/loss: no line for it; R-1 keeps its colour
    expect(loss.map(s => s.label)).toEqual(['R-1 base']);
    expect(loss[0].color).toBe(acc[0].color);
    const key = Array.from(compare.node.querySelectorAll<HTMLElement>('.nepnb-CompareRuns-keyEntry'));
    expect(key.map(entry => entry.textContent)).toEqual(['R-1 base', 'R-2']);

    boxes[2].checked = true;
    boxes[2].dispatchEvent(new Event('change', { bubbles: true }));
    boxes[0].checked = false;
    boxes[0].dispatchEvent(new Event('change', { bubbles: true }));
    expect([...compare.charts.keys()]).toEqual(['metrics/loss', 'monitoring/cpu']);
    expect(compare.node.querySelectorAll('.nepnb-CompareRuns-charts .nepnb-Chart')).toHaveLength(2);
    compare.dispose();
  });
});
