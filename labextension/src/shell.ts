import { ILabShell, JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

/**
 * Show a document-like widget (a compare view, a run): as a main-area tab in JupyterLab;
 * in Notebook 7, whose main area holds only the page's document, in a large dialog.
 */
export function showInMainArea(
  app: JupyterFrontEnd,
  labShell: ILabShell | null,
  widget: Widget
): void {
  if (labShell) {
    const open = Array.from(labShell.widgets('main')).find(w => w.id === widget.id);
    if (open) {
      widget.dispose();
      labShell.activateById(open.id);
      return;
    }
    app.shell.add(widget, 'main');
    labShell.activateById(widget.id);
    return;
  }
  const dialog = new Dialog({
    title: widget.title.label,
    body: widget,
    buttons: [Dialog.okButton({ label: 'Close' })]
  });
  dialog.addClass('nepnb-WideDialog');
  void dialog.launch().then(() => widget.dispose());
}
