import type { IRunField } from '../api';

/** A namespace of a run's fields, or a field, in the detail view's tree. */
export interface IFieldTreeNode {
  /** The last segment of the path. */
  name: string;
  /** The full path. */
  path: string;
  /** Set on leaves. */
  field?: IRunField;
  children: IFieldTreeNode[];
}

/**
 * Nest fields by their `/`-separated namespaces; namespaces come before
 * fields at each level, each group sorted by name ("sys" last at the top).
 * A path that is both a field and a namespace (it happens after a type
 * change) shows as a field with children.
 */
export function buildFieldTree(fields: readonly IRunField[]): IFieldTreeNode[] {
  const root: IFieldTreeNode = { name: '', path: '', children: [] };
  for (const field of fields) {
    let node = root;
    const segments = field.path.split('/');
    segments.forEach((segment, i) => {
      const path = segments.slice(0, i + 1).join('/');
      let child = node.children.find(c => c.name === segment);
      if (!child) {
        child = { name: segment, path, children: [] };
        node.children.push(child);
      }
      node = child;
    });
    node.field = field;
  }
  sortTree(root.children, true);
  return root.children;
}

function sortTree(nodes: IFieldTreeNode[], top: boolean): void {
  const rank = (node: IFieldTreeNode) =>
    (node.children.length > 0 ? 0 : 1) + (top && node.name === 'sys' ? 2 : 0);
  nodes.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name, undefined, { numeric: true }));
  nodes.forEach(node => sortTree(node.children, false));
}

/** The float series fields of a run, by path. */
export function floatSeriesFields(fields: readonly IRunField[]): IRunField[] {
  return fields
    .filter(field => field.type === 'floatSeries')
    .sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }));
}
