import type { IChartDataSource, ISeriesBuckets, ISeriesRequest, XAxisKind } from '../src/chart';
import type { IWidgetModel } from './anywidget';

/** A message the kernel sends the widget (nepnb/widgets/chart.py). */
export type KernelMessage =
  | { type: 'buckets'; id: number; data: ISeriesBuckets }
  | { type: 'error'; id: number; message: string }
  | { type: 'series'; key: string; x_axis: XAxisKind; data: ISeriesBuckets };

/** What the widget asks the kernel: one series, downsampled, for a range. */
export interface IFetchMessage {
  type: 'fetch';
  id: number;
  key: string;
  x_axis: XAxisKind;
  start: number | null;
  end: number | null;
  buckets: number;
}

interface IPending {
  resolve: (buckets: ISeriesBuckets) => void;
  reject: (reason: Error) => void;
}

/**
 * The chart's data source in a notebook: each fetch is a message to the kernel, answered
 * when the kernel is free (a running cell holds the answers back; live data is pushed
 * meanwhile, see `KernelMessage` 'series').
 */
export class KernelSeriesSource implements IChartDataSource {
  constructor(private readonly model: Pick<IWidgetModel, 'send'>) {}

  fetch(seriesKey: string, request: ISeriesRequest): Promise<ISeriesBuckets> {
    const id = ++this.lastId;
    const message: IFetchMessage = {
      type: 'fetch',
      id,
      key: seriesKey,
      x_axis: request.xAxis,
      start: request.start ?? null,
      end: request.end ?? null,
      buckets: request.buckets
    };
    return new Promise<ISeriesBuckets>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.model.send(message);
    });
  }

  /** Settle the fetch a kernel message answers; false when it answers none. */
  handle(message: KernelMessage): boolean {
    if (message.type === 'series') {
      return false;
    }
    const pending = this.pending.get(message.id);
    if (!pending) {
      return false;
    }
    this.pending.delete(message.id);
    if (message.type === 'buckets') {
      pending.resolve(message.data);
    } else {
      pending.reject(new Error(message.message));
    }
    return true;
  }

  /** Fetches not answered yet. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Fail every fetch still waiting (the view is going away). */
  dispose(): void {
    for (const pending of this.pending.values()) {
      pending.reject(new Error('the chart was closed'));
    }
    this.pending.clear();
  }

  private lastId = 0;
  private readonly pending = new Map<number, IPending>();
}
