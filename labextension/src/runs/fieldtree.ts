import type { IRunField } from '../api';
import { formatCell } from './cells';
import { buildFieldTree, IFieldTreeNode } from './tree';

/** "floatSeries · 3000 points, steps 0–2999" for series; the type for the rest. */
export function describeField(field: IRunField): string {
  if (field.count === undefined) {
    return field.type;
  }
  const steps =
    field.first_step !== null && field.first_step !== undefined
      ? `, steps ${formatCell(field.first_step)}–${formatCell(field.last_step ?? null)}`
      : '';
  return `${field.type} · ${field.count} points${steps}`;
}

/** Which namespaces start open: given paths, else the top-level ones but sys and monitoring. */
type OpenPaths = ReadonlySet<string> | null;

function renderNode(node: IFieldTreeNode, depth: number, open: OpenPaths): HTMLElement {
  if (node.children.length === 0 && node.field) {
    return renderLeaf(node.name, node.field);
  }
  const details = document.createElement('details');
  details.className = 'nepnb-FieldTree-namespace';
  details.dataset.path = node.path;
  details.open = open
    ? open.has(node.path)
    : depth === 0 && node.name !== 'sys' && node.name !== 'monitoring';
  const summary = document.createElement('summary');
  summary.textContent = node.name;
  details.append(summary);
  if (node.field) {
    details.append(renderLeaf('(value)', node.field));
  }
  details.append(...node.children.map(child => renderNode(child, depth + 1, open)));
  return details;
}

function renderLeaf(name: string, field: IRunField): HTMLElement {
  const leaf = document.createElement('div');
  leaf.className = 'nepnb-FieldTree-field';
  leaf.dataset.path = field.path;
  const nameNode = document.createElement('span');
  nameNode.className = 'nepnb-FieldTree-name';
  nameNode.textContent = name;
  const value = document.createElement('span');
  value.className = 'nepnb-FieldTree-value';
  value.textContent = formatCell(field.value);
  value.title = Array.isArray(field.value) ? field.value.join(', ') : String(field.value ?? '');
  const type = document.createElement('span');
  type.className = 'nepnb-FieldTree-type';
  type.textContent = describeField(field);
  leaf.append(nameNode, value, type);
  return leaf;
}

/**
 * A run's fields as nested collapsible namespaces: those of `openPaths` open
 * (to keep what the user opened across a reload), by default the top-level
 * ones but sys and monitoring.
 */
export function renderFieldTree(
  fields: readonly IRunField[],
  openPaths: OpenPaths = null
): HTMLElement {
  const tree = document.createElement('div');
  tree.className = 'nepnb-FieldTree';
  tree.append(...buildFieldTree(fields).map(node => renderNode(node, 0, openPaths)));
  return tree;
}

/** The namespaces open in a rendered tree. */
export function openNamespaces(tree: Element): Set<string> {
  return new Set(
    Array.from(tree.querySelectorAll<HTMLElement>('details[open]'), d => d.dataset.path ?? '')
  );
}
