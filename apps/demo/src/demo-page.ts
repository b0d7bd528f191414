import {
  connect,
  JobcastError,
  JobcastHttp,
  type ConnectionState,
  type JobcastClient,
  type JobFeed,
  type Parser,
} from '@jobcast/client';
import {
  JobSnapshotSchema,
  ListJobTypesResponseSchema,
  ListJobsResponseSchema,
  SubmitBatchResponseSchema,
  SubmitJobResponseSchema,
  type BatchSnapshot,
  type DisconnectNotice,
  type JobSnapshot,
  type SubmitJobRequest,
} from '@jobcast/contracts';
import { clockTime, find } from './dom';
import { gatewayUrls } from './gateway-urls';
import { describe, JobCard } from './job-card';
import { payloadFieldset, readPayload } from './payload-form';

/** Jobs asked for per `GET /jobs` page. */
const PAGE_SIZE = 20;
/** Entries the connection log keeps. */
const CONNECTION_LOG_LINES = 8;

const STATE_TEXT: Record<ConnectionState, string> = {
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  closed: 'disconnected',
};

const tokenAnswer: Parser<{ token: string }> = {
  parse: (input) => {
    const token = (input as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string') throw new TypeError('no token');
    return { token };
  },
};

const healthAnswer: Parser<{ gateway?: string }> = {
  parse: (input) => {
    const gateway = (input as { gateway?: unknown } | undefined)?.gateway;
    return typeof gateway === 'string' ? { gateway } : {};
  },
};

/** The page: sign in, submit jobs, and watch every job of the user through the typed client. */
class DemoPage {
  private readonly gateways = gatewayUrls(location);
  /** `?transport=websocket` watches over the plain WebSocket (`/ws`) instead of Socket.IO. */
  private readonly transport =
    new URLSearchParams(location.search).get('transport') === 'websocket' ? 'websocket' : 'socket.io';
  private readonly api = new JobcastHttp({ urls: this.gateways.urls, preferred: () => this.client?.connectedUrl });
  private client: JobcastClient | undefined;
  private readonly cards = new Map<string, JobCard>();
  private nextCursor: string | undefined;
  /** Bumped per sign-in, so that answers for an earlier session are dropped. */
  private session = 0;

  private readonly template = find<HTMLTemplateElement>('#job-template');
  private readonly signInForm = find<HTMLFormElement>('#sign-in-form');
  private readonly userName = find<HTMLInputElement>('#user-name');
  private readonly signedIn = find('[data-testid="signed-in"]');
  private readonly jobForm = find<HTMLFormElement>('#job-form');
  private readonly jobFields = find<HTMLFieldSetElement>('fieldset.plain', this.jobForm);
  private readonly jobType = find<HTMLSelectElement>('#job-type');
  private readonly payloadFields = find('#payload-fields');
  private readonly attempts = find<HTMLInputElement>('#attempts');
  private readonly error = find('[data-testid="error"]');
  private readonly jobList = find<HTMLOListElement>('[data-testid="jobs"]');
  private readonly noJobs = find('[data-testid="no-jobs"]');
  private readonly loadMore = find<HTMLButtonElement>('[data-testid="load-more"]');
  private readonly state = find('[data-testid="connection-state"]');
  private readonly connectedUrl = find('[data-testid="connected-url"]');
  private readonly gatewayId = find('[data-testid="gateway-id"]');
  private readonly connectionLog = find<HTMLOListElement>('[data-testid="connection-log"]');
  private readonly batchSize = find<HTMLInputElement>('#batch-size');
  private readonly submitBatchButton = find<HTMLButtonElement>('[data-testid="submit-batch"]');
  private readonly batchPanel = find('[data-testid="batch"]');
  /** The batch submitted last, whose progress bar shows above the jobs. */
  private batchFeed: JobFeed | undefined;

  start(): void {
    this.signInForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.guarded(() => this.signIn(this.userName.value.trim()));
    });
    this.jobForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.guarded(() => this.submit());
    });
    this.submitBatchButton.addEventListener('click', () => void this.guarded(() => this.submitBatch()));
    this.jobType.addEventListener('change', () => this.showPayloadFields());
    // A worker started since sign-in may have registered new types.
    this.jobType.addEventListener('focus', () => void this.guarded(() => this.loadJobTypes(this.session)));
    this.loadMore.addEventListener('click', () => void this.guarded(() => this.loadJobs(this.session)));
    this.showPayloadFields();
    for (const entry of this.gateways.ignored)
      this.logConnection(`ignored ?gateways= entry ${entry}: not an http(s) URL`);
    this.logConnection(`gateways: ${this.gateways.urls.join(', ')}; over ${this.transport}`);
  }

  private async signIn(sub: string): Promise<void> {
    const session = ++this.session;
    const { token } = await this.api.request('POST', '/auth/dev-token', tokenAnswer, { sub });
    if (session !== this.session) return;
    this.client?.close();
    this.batchFeed = undefined;
    this.batchPanel.hidden = true;
    for (const card of this.cards.values()) card.dispose();
    this.cards.clear();
    this.nextCursor = undefined;
    this.api.token = token;
    const client = connect({ urls: this.gateways.urls, token, transport: this.transport });
    this.client = client;
    client.onState((state, url, notice) => {
      if (client === this.client) this.showState(state, url, notice);
    });
    this.showState(client.state, this.gateways.urls[0]);
    find('strong', this.signedIn).textContent = sub;
    this.signedIn.hidden = false;
    this.jobFields.disabled = false;
    this.noJobs.textContent = 'No jobs yet: submit one.';
    // Every job of the user as it changes: one created elsewhere (the CLI, another tab) gets its card here.
    client.feed({ owner: 'me' }).onChange((jobs) => {
      if (client !== this.client) return;
      for (const job of jobs) this.addJob(job);
    });
    await Promise.all([this.loadJobTypes(session), this.loadJobs(session)]);
  }

  /** The next page of the user's jobs, newest first, each watched live. */
  private async loadJobs(session: number): Promise<void> {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (this.nextCursor) query.set('cursor', this.nextCursor);
    const page = await this.api.request('GET', `/jobs?${query}`, ListJobsResponseSchema);
    if (session !== this.session) return;
    for (const job of page.jobs) this.addJob(job);
    this.nextCursor = page.nextCursor;
    this.loadMore.hidden = page.nextCursor === undefined;
  }

  /** One option and one payload form per registered job type; the selection and typed values survive. */
  private async loadJobTypes(session: number): Promise<void> {
    const { jobTypes } = await this.api.request('GET', '/job-types', ListJobTypesResponseSchema);
    if (session !== this.session) return;
    const selected = this.jobType.value;
    const listed = new Set(jobTypes.map((type) => type.name));
    for (const option of [...this.jobType.options]) if (!listed.has(option.value)) option.remove();
    for (const fieldset of this.payloadFieldsets()) if (!listed.has(fieldset.dataset.jobType ?? '')) fieldset.remove();
    for (const type of jobTypes) {
      if (this.payloadFieldsets().some((fieldset) => fieldset.dataset.jobType === type.name)) continue;
      const workers = type.workers === 1 ? '1 worker' : `${type.workers} workers`;
      this.jobType.append(new Option(`${type.name} (${workers})`, type.name));
      this.payloadFields.append(payloadFieldset(type));
    }
    if (listed.has(selected)) this.jobType.value = selected;
    this.showPayloadFields();
  }

  private async submit(): Promise<void> {
    const session = this.session;
    const request: SubmitJobRequest = {
      type: this.jobType.value,
      payload: this.readPayload(),
      // Makes the submit safe to send again to another gateway if this one drops mid-request.
      idempotencyKey: randomKey(),
      ...(this.attempts.value !== '' && { attempts: this.attempts.valueAsNumber }),
    };
    const { job } = await this.api.request('POST', '/jobs', SubmitJobResponseSchema, request);
    if (session === this.session) this.addJob(job);
  }

  /** N jobs of the form's type and payload as one batch; its progress bar follows the batch's feed. */
  private async submitBatch(): Promise<void> {
    const session = this.session;
    const count = this.batchSize.valueAsNumber;
    const job = {
      type: this.jobType.value,
      payload: this.readPayload(),
      ...(this.attempts.value !== '' && { attempts: this.attempts.valueAsNumber }),
    };
    const { batch, jobs } = await this.api.request('POST', '/batches', SubmitBatchResponseSchema, {
      jobs: Array.from({ length: count }, () => job),
    });
    if (session !== this.session || !this.client) return;
    for (const created of jobs) this.addJob(created);
    this.batchFeed?.close();
    const feed = this.client.feed({ batch: batch.id });
    this.batchFeed = feed;
    this.showBatch(batch);
    feed.onChange(() => {
      if (feed === this.batchFeed && feed.batch) this.showBatch(feed.batch);
    });
  }

  private showBatch(batch: BatchSnapshot): void {
    const { counts } = batch;
    this.batchPanel.hidden = false;
    this.batchPanel.dataset.batchId = batch.id;
    this.batchPanel.dataset.done = String(batch.done);
    const percent = `${Math.floor(batch.percent)}%`;
    find('[data-testid="batch-percent"]', this.batchPanel).textContent = percent;
    find<HTMLElement>('.fill', this.batchPanel).style.width = percent;
    find('[data-testid="batch-counts"]', this.batchPanel).textContent =
      `${batch.total} jobs: ${counts.completed} completed, ${counts.failed} failed, ${counts.cancelled} cancelled, ` +
      `${counts.active} running, ${counts.queued + counts.retrying} waiting`;
  }

  /** A card for the job, in the list's order (newest first, whichever way it came: a page, the feed, a submit). */
  private addJob(job: JobSnapshot): void {
    if (this.cards.has(job.id) || !this.client) return;
    const card = new JobCard(this.template, job.id, {
      cancel: (jobId) => this.api.request('POST', `/jobs/${encodeURIComponent(jobId)}/cancel`, JobSnapshotSchema),
    });
    this.cards.set(job.id, card);
    card.render(job);
    card.element.dataset.createdAt = String(job.createdAt);
    const older = [...this.jobList.children].find(
      (element) => Number((element as HTMLElement).dataset.createdAt) < job.createdAt,
    );
    this.jobList.insertBefore(card.element, older ?? null);
    this.noJobs.hidden = true;
    card.follow(this.client.watch(job.id));
  }

  private payloadFieldsets(): HTMLFieldSetElement[] {
    return [...this.payloadFields.querySelectorAll<HTMLFieldSetElement>('fieldset[data-job-type]')];
  }

  private readPayload(): Record<string, unknown> {
    const fieldset = this.payloadFieldsets().find((candidate) => candidate.dataset.jobType === this.jobType.value);
    return fieldset ? readPayload(fieldset) : {};
  }

  /** Shows only the selected type's fields; the others are disabled, so the form does not check them. */
  private showPayloadFields(): void {
    for (const fieldset of this.payloadFieldsets()) {
      const selected = fieldset.dataset.jobType === this.jobType.value;
      fieldset.hidden = !selected;
      fieldset.disabled = !selected;
    }
  }

  private showState(state: ConnectionState, url: string | undefined, notice?: DisconnectNotice): void {
    this.state.dataset.state = state;
    this.state.textContent = STATE_TEXT[state];
    const connectedTo = this.client?.connectedUrl;
    this.connectedUrl.textContent = state === 'connected' ? (connectedTo ?? '') : url ? `trying ${url}` : '';
    this.gatewayId.textContent = '';
    const where = url ? (state === 'connected' ? ` to ${url}` : ` (trying ${url})`) : '';
    const reason = notice ? `: the gateway said ${notice.reason} (${notice.message})` : '';
    this.logConnection(`${STATE_TEXT[state]}${where}${reason}`);
    if (state === 'connected' && connectedTo) void this.showGatewayId(connectedTo);
  }

  /** Asks the gateway the socket reached for its name (GATEWAY_ID), which `GET /healthz` answers. */
  private async showGatewayId(url: string): Promise<void> {
    try {
      const response = await fetch(`${url}/healthz`);
      const { gateway } = healthAnswer.parse(await response.json());
      if (gateway && this.client?.connectedUrl === url) this.gatewayId.textContent = gateway;
    } catch {
      // The name is a nicety; the URL is already shown.
    }
  }

  private logConnection(text: string): void {
    const item = document.createElement('li');
    item.textContent = `${clockTime()} ${text}`;
    this.connectionLog.prepend(item);
    while (this.connectionLog.childElementCount > CONNECTION_LOG_LINES) this.connectionLog.lastElementChild?.remove();
  }

  /** Runs a user action, showing its failure (with the gateway's error code) instead of losing it. */
  private async guarded(action: () => Promise<void>): Promise<void> {
    this.error.textContent = '';
    try {
      await action();
    } catch (error) {
      this.error.textContent = error instanceof JobcastError ? `${error.code}: ${error.message}` : describe(error);
    }
  }
}

function randomKey(): string {
  // crypto.randomUUID needs a secure context; a gateway reached over plain http by name is not one.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `demo-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

new DemoPage().start();
