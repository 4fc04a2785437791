import type { IRunField } from '../../api';
import { buildFieldTree, floatSeriesFields } from '../tree';

function field(path: string, type = 'float', value: IRunField['value'] = 1): IRunField {
  return { path, type, value };
}

describe('buildFieldTree', () => {
  it('nests fields by namespace, namespaces first, sys last at the top', () => {
    const tree = buildFieldTree([
      field('sys/id', 'string', 'CLS-1'),
      field('lr'),
      field('metrics/loss', 'floatSeries'),
      field('metrics/acc', 'floatSeries'),
      field('params/model/depth'),
      field('params/batch')
    ]);
    expect(tree.map(n => n.name)).toEqual(['metrics', 'params', 'lr', 'sys']);
    const params = tree[1];
    expect(params.children.map(n => n.name)).toEqual(['model', 'batch']);
    expect(params.children[0].children[0]).toMatchObject({ name: 'depth', path: 'params/model/depth' });
    expect(params.children[0].children[0].field?.value).toBe(1);
    expect(tree[0].children.map(n => n.path)).toEqual(['metrics/acc', 'metrics/loss']);
    expect(tree[0].field).toBeUndefined();
  });

  it('sorts numbered names naturally', () => {
    const tree = buildFieldTree([field('a/10'), field('a/9')]);
    expect(tree[0].children.map(n => n.name)).toEqual(['9', '10']);
  });
});

describe('floatSeriesFields', () => {
  it('keeps only float series, by path', () => {
    const fields = [field('b', 'floatSeries'), field('s', 'stringSeries'), field('a', 'floatSeries'), field('x')];
    expect(floatSeriesFields(fields).map(f => f.path)).toEqual(['a', 'b']);
  });
});
