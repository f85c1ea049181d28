/**
 * The status bar's state, fed by `unmask/status`, `$/progress` and `unmask/step`, and how it renders.
 *
 * Pure: `StatusModel` is updated by the three event kinds and `render()` turns it into text and tooltip.
 * The `vscode.StatusBarItem` that shows it is owned by `extension.ts`.
 */
import type { ServerState, StatusParams, StepParams } from './protocol';

export type ClientState = ServerState | 'stopped' | 'starting';

/** The `value` of a `$/progress` work-done notification, as far as the status bar cares. */
export interface WorkDoneValue {
  kind: 'begin' | 'report' | 'end';
  title?: string;
  message?: string;
  percentage?: number;
}

export interface Rendered {
  text: string;
  tooltip: string;
  /** 'error' paints the item with the error background. */
  severity: 'normal' | 'busy' | 'error';
}

export class StatusModel {
  state: ClientState = 'starting';
  model = '';
  message: string | undefined;
  private readonly progress = new Map<string, { title: string; message?: string; percentage?: number }>();
  private step: { step: number; total: number } | undefined;

  onStatus(params: StatusParams): void {
    this.state = params.state;
    this.model = params.model;
    this.message = params.message;
    if (params.state !== 'busy') {
      this.step = undefined;
    }
  }

  onProgress(token: string | number, value: WorkDoneValue): void {
    const key = String(token);
    if (value.kind === 'end') {
      this.progress.delete(key);
      if (this.progress.size === 0) {
        this.step = undefined;
      }
      return;
    }
    const previous = this.progress.get(key);
    this.progress.set(key, {
      title: value.title ?? previous?.title ?? 'unmask',
      message: value.message ?? previous?.message,
      percentage: value.percentage ?? previous?.percentage,
    });
  }

  onStep(params: StepParams): void {
    this.step = { step: params.step, total: params.total };
  }

  /** The server process stopped (crash, restart, or deactivate): forget everything it told us. */
  onStopped(message?: string): void {
    this.state = 'stopped';
    this.message = message;
    this.progress.clear();
    this.step = undefined;
  }

  onStarting(): void {
    this.state = 'starting';
    this.message = undefined;
  }

  render(): Rendered {
    const model = this.model ? ` ${this.model}` : '';
    const running = [...this.progress.values()].at(-1);
    if (running !== undefined || this.step !== undefined) {
      const percent =
        running?.percentage ?? (this.step && this.step.total > 0 ? Math.round((100 * this.step.step) / this.step.total) : undefined);
      const title = running?.title ?? 'filling';
      const stepText = this.step ? ` step ${this.step.step}/${this.step.total}` : '';
      return {
        text: `$(sync~spin) unmask: ${title}${percent === undefined ? '' : ` ${percent}%`}`,
        tooltip: `unmask${model}: ${title}${stepText}${running?.message ? ` — ${running.message}` : ''}`,
        severity: 'busy',
      };
    }
    switch (this.state) {
      case 'starting':
        return { text: '$(loading~spin) unmask', tooltip: 'unmask: starting the server…', severity: 'busy' };
      case 'loading':
        return {
          text: '$(loading~spin) unmask: loading',
          tooltip: `unmask: loading the model${model}${this.message ? ` — ${this.message}` : ''}`,
          severity: 'busy',
        };
      case 'ready':
        return { text: `$(check) unmask${model}`, tooltip: `unmask: ready (model${model || ' unknown'})`, severity: 'normal' };
      case 'busy':
        return {
          text: `$(sync~spin) unmask${model}`,
          tooltip: `unmask${model}: busy${this.message ? ` — ${this.message}` : ''}`,
          severity: 'busy',
        };
      case 'error':
        return {
          text: '$(error) unmask',
          tooltip: `unmask: ${this.message ?? 'error'} (click for the log)`,
          severity: 'error',
        };
      case 'stopped':
        return {
          text: '$(debug-disconnect) unmask',
          tooltip: `unmask: server stopped${this.message ? ` — ${this.message}` : ''} (click to restart)`,
          severity: 'error',
        };
    }
  }
}
