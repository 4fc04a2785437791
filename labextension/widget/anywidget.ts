/**
 * The small part of anywidget's front-end API the chart widget uses
 * (https://anywidget.dev/en/afm/): a model with synced traits and custom messages.
 */

/** A widget model as anywidget hands it to `initialize` and `render`. */
export interface IWidgetModel {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
  send(content: object): void;
  on(event: string, callback: (...args: never[]) => void): void;
  off(event?: string | null, callback?: ((...args: never[]) => void) | null): void;
}

/** What `render` gets. */
export interface IRenderProps {
  model: IWidgetModel;
  el: HTMLElement;
}
