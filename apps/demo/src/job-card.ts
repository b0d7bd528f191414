import { ClientErrorCode, JobcastError, type JobWatch } from '@jobcast/client';
import { TERMINAL_STATUSES, type JobEvent, type JobSnapshot } from '@jobcast/contracts';
import { clockTime, find } from './dom';

/** Most log lines a card keeps; older ones scroll away. */
const MAX_LOG_LINES = 200;

export interface JobCardActions {
  cancel(jobId: string): Promise<JobSnapshot>;
}

/**
 * One job in the list: its progress bar, percent, stage and message, its log, and its result or error,
 * kept current by a watch of the typed client (which resumes it across reconnects by itself).
 */
export class JobCard {
  readonly element: HTMLLIElement;
  private readonly status: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly fill: HTMLElement;
  private readonly percent: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly message: HTMLElement;
  private readonly outputs: HTMLElement;
  private readonly log: HTMLOListElement;
  private readonly result: HTMLPreElement;
  private readonly error: HTMLElement;
  private readonly cancelButton: HTMLButtonElement;
  private watch: JobWatch | undefined;
  private finished = false;

  constructor(
    template: HTMLTemplateElement,
    readonly jobId: string,
    private readonly actions: JobCardActions,
  ) {
    const fragment = template.content.cloneNode(true) as DocumentFragment;
    this.element = find<HTMLLIElement>('li', fragment);
    this.element.dataset.jobId = jobId;
    find('.job-id', this.element).textContent = jobId;
    this.status = find('[data-testid="job-status"]', this.element);
    this.bar = find('[data-testid="job-progress"]', this.element);
    this.fill = find('.fill', this.bar);
    this.percent = find('[data-testid="job-percent"]', this.element);
    this.stage = find('[data-testid="job-stage"]', this.element);
    this.message = find('[data-testid="job-message"]', this.element);
    this.outputs = find('[data-testid="job-outputs"]', this.element);
    this.log = find<HTMLOListElement>('[data-testid="job-log"]', this.element);
    this.result = find<HTMLPreElement>('[data-testid="job-result"]', this.element);
    this.error = find('[data-testid="job-error"]', this.element);
    this.cancelButton = find<HTMLButtonElement>('[data-testid="job-cancel"]', this.element);
    this.cancelButton.addEventListener('click', () => void this.cancel());
    this.log.setAttribute('aria-label', `Log of job ${jobId}`);
  }

  /** Follows the job through `watch`: every event once, in order, the backlog first. */
  follow(watch: JobWatch): void {
    this.watch = watch;
    watch.onSnapshot((snapshot) => this.render(snapshot));
    watch.onEvent((event) => {
      if (event.type === 'output') this.showOutput(watch, event.data.key);
      else this.addLogLine(event);
    });
    watch.done.catch((error: unknown) => {
      // CLOSED is the page letting go of the watch (signing in again), not news for this card.
      if (error instanceof JobcastError && error.code === ClientErrorCode.CLOSED) return;
      this.showError(`Stopped watching: ${describe(error)}`);
    });
  }

  render(snapshot: JobSnapshot): void {
    this.finished = TERMINAL_STATUSES.includes(snapshot.status);
    const percent = Math.floor(snapshot.percent);
    this.element.dataset.status = snapshot.status;
    find('.job-type', this.element).textContent = snapshot.type;
    this.status.textContent = snapshot.status;
    this.percent.textContent = `${percent}%`;
    this.fill.style.width = `${snapshot.percent}%`;
    this.bar.setAttribute('aria-valuenow', String(percent));
    this.bar.setAttribute('aria-valuetext', [`${percent}%`, snapshot.message].filter(Boolean).join(', '));
    this.bar.setAttribute('aria-label', `Progress of ${snapshot.type} job ${snapshot.id}`);
    this.stage.textContent = snapshot.stage ?? '';
    this.message.textContent = snapshot.message ?? '';
    if (snapshot.status === 'completed') {
      this.result.textContent = JSON.stringify(snapshot.result ?? null, null, 2);
      this.result.hidden = false;
    }
    if (snapshot.error) this.showError(`${snapshot.error.code ?? 'ERROR'}: ${snapshot.error.message}`);
    this.cancelButton.disabled = this.finished;
  }

  /** Stops watching and leaves the page. */
  dispose(): void {
    this.watch?.close();
    this.element.remove();
  }

  private async cancel(): Promise<void> {
    this.cancelButton.disabled = true;
    try {
      this.render(await this.actions.cancel(this.jobId));
    } catch (error) {
      this.showError(`Cancel failed: ${describe(error)}`);
      this.cancelButton.disabled = this.finished;
    }
  }

  /**
   * The first time a job writes to a stream, a box that grows with it: the text so far, then each piece as it
   * comes, scrolled along unless the reader scrolled up; after a reset, what the log holds.
   */
  private showOutput(watch: JobWatch, key: string): void {
    if (this.outputs.querySelector(`[data-key="${CSS.escape(key)}"]`)) return;
    const output = watch.output(key);
    const box = document.createElement('pre');
    box.className = 'output';
    box.dataset.key = key;
    box.dataset.testid = 'job-output';
    box.setAttribute('aria-label', `Output ${key} of job ${this.jobId}`);
    box.setAttribute('aria-live', 'polite');
    box.textContent = output.text;
    this.outputs.append(box);
    const follow = (show: () => void): void => {
      const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
      show();
      if (atBottom) box.scrollTop = box.scrollHeight;
    };
    output.onChunk((chunk) => follow(() => box.append(chunk)));
    output.onReset((text) => follow(() => (box.textContent = text)));
  }

  private addLogLine(event: JobEvent): void {
    const line = logLine(event);
    if (!line) return;
    const item = document.createElement('li');
    item.className = line.kind;
    item.textContent = `${clockTime(event.at)} ${line.text}`;
    const atBottom = this.log.scrollTop + this.log.clientHeight >= this.log.scrollHeight - 4;
    this.log.append(item);
    while (this.log.childElementCount > MAX_LOG_LINES) this.log.firstElementChild?.remove();
    if (atBottom) this.log.scrollTop = this.log.scrollHeight;
  }

  private showError(text: string): void {
    this.error.textContent = text;
    this.error.hidden = false;
  }
}

/** What a card's log shows of an event; progress has the bar instead. */
function logLine(event: JobEvent): { kind: string; text: string } | undefined {
  switch (event.type) {
    case 'log':
      return { kind: event.data.level, text: event.data.message };
    case 'queued':
      return { kind: 'lifecycle', text: 'queued' };
    case 'started':
      return { kind: 'lifecycle', text: `started, attempt ${event.data.attempt}` };
    case 'retrying':
      return {
        kind: 'warn',
        text: `failed: ${event.data.error.message}; attempt ${event.data.attempt} in ${event.data.delayMs} ms`,
      };
    case 'completed':
      return { kind: 'lifecycle', text: 'completed' };
    case 'failed':
      return { kind: 'error', text: `failed after ${event.data.attempts} attempt(s): ${event.data.error.message}` };
    case 'cancelled':
      return { kind: 'warn', text: `cancelled${event.data.reason ? `: ${event.data.reason}` : ''}` };
    default:
      return undefined;
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string')
    return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
