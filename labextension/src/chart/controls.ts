import type { XAxisKind } from './types';

/** What the chart's toolbar sets. */
export interface IChartSettings {
  xAxis: XAxisKind;
  logScale: boolean;
  /** EMA weight in [0, 0.99]; 0 draws the raw values. */
  smoothing: number;
}

/** Callbacks of the toolbar. */
export interface IChartControlsHandlers {
  onChange(settings: IChartSettings): void;
  onResetZoom(): void;
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text = ''
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}

/** The chart's toolbar: x axis, log scale, smoothing, zoom reset, and a status line. */
export class ChartControls {
  readonly node = element('div', 'nepnb-Chart-controls');

  constructor(
    private settings: IChartSettings,
    private readonly handlers: IChartControlsHandlers
  ) {
    this.buildXAxisSelect();
    this.buildLogCheckbox();
    this.buildSmoothing();
    this.resetButton = element('button', 'nepnb-Chart-reset', 'Reset zoom');
    this.resetButton.title = 'Show the whole series (or double click the chart)';
    this.resetButton.disabled = true;
    this.resetButton.addEventListener('click', () => this.handlers.onResetZoom());
    this.status = element('span', 'nepnb-Chart-status');
    this.node.append(this.resetButton, this.status);
  }

  /** Show a short message: loading, how many points, an error. */
  setStatus(text: string, isError = false): void {
    this.status.textContent = text;
    this.status.classList.toggle('nepnb-mod-error', isError);
  }

  /** Enable the reset button while zoomed in. */
  setZoomed(zoomed: boolean): void {
    this.resetButton.disabled = !zoomed;
  }

  private change(patch: Partial<IChartSettings>): void {
    this.settings = { ...this.settings, ...patch };
    this.handlers.onChange(this.settings);
  }

  private buildXAxisSelect(): void {
    const label = element('label', 'nepnb-Chart-control', 'x ');
    const select = element('select', 'nepnb-Chart-xaxis');
    for (const kind of ['step', 'time'] as const) {
      const option = element('option', '', kind);
      option.value = kind;
      select.append(option);
    }
    select.value = this.settings.xAxis;
    select.addEventListener('change', () =>
      this.change({ xAxis: select.value as XAxisKind })
    );
    label.append(select);
    this.node.append(label);
  }

  private buildLogCheckbox(): void {
    const label = element('label', 'nepnb-Chart-control');
    const checkbox = element('input', 'nepnb-Chart-log');
    checkbox.type = 'checkbox';
    checkbox.checked = this.settings.logScale;
    checkbox.addEventListener('change', () => this.change({ logScale: checkbox.checked }));
    label.append(checkbox, document.createTextNode(' log y'));
    this.node.append(label);
  }

  private buildSmoothing(): void {
    const label = element('label', 'nepnb-Chart-control', 'smoothing ');
    const slider = element('input', 'nepnb-Chart-smoothing');
    slider.type = 'range';
    slider.min = '0';
    slider.max = '0.99';
    slider.step = '0.01';
    slider.value = String(this.settings.smoothing);
    const shown = element('span', 'nepnb-Chart-smoothing-value', slider.value);
    slider.addEventListener('input', () => {
      shown.textContent = slider.value;
      this.change({ smoothing: Number(slider.value) });
    });
    label.append(slider, shown);
    this.node.append(label);
  }

  private readonly resetButton: HTMLButtonElement;
  private readonly status: HTMLSpanElement;
}
