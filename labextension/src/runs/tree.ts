import type { IRunField } from '../api';

/** The namespaces nepnb and the client fill, in the order they are shown: after the user's own. */
export const SYSTEM_NAMESPACES: readonly string[] = ['sys', 'monitoring', 'source_code', 'notebook'];

/** The rank of a path's top-level namespace: 0 for the user's own, then 1, 2… in SYSTEM_NAMESPACES order. */
export function systemRank(path: string): number {
  return SYSTEM_NAMESPACES.indexOf(path.split('/')[0]) + 1;
}

/** True for a path in one of the SYSTEM_NAMESPACES. */
export function isSystemPath(path: string): boolean {
  return systemRank(path) > 0;
}

/** Paths with the user's own first, then the system ones; the order within each kept. */
export function userPathsFirst<T>(items: readonly T[], pathOf: (item: T) => string): T[] {
  return items
    .map((item, index) => ({ item, index, rank: systemRank(pathOf(item)) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(entry => entry.item);
}

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
 * fields at each level, each group sorted by name; at the top, the user's
 * own namespaces and fields come first, the SYSTEM_NAMESPACES after them.
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
    (node.children.length > 0 ? 0 : 1) + (top ? 2 * systemRank(node.path) : 0);
  nodes.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name, undefined, { numeric: true }));
  nodes.forEach(node => sortTree(node.children, false));
}

/** The float series fields of a run, by path: the user's own first, the system ones after. */
export function floatSeriesFields(fields: readonly IRunField[]): IRunField[] {
  const sorted = fields
    .filter(field => field.type === 'floatSeries')
    .sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }));
  return userPathsFirst(sorted, field => field.path);
}
