import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedTokens } from '../../apps/worker/src/job-types/demo-text.job';
import { launchChromium, type Browser } from '../support/chromium';
import { E2eStack } from '../support/e2e-stack';

/** Debian's Chromium (`apt-get install -y chromium`): the test never downloads a browser. */
const SCREENSHOT = resolve(__dirname, '..', '..', 'test-output', 'demo-page.png');

/**
 * The two gateways by name, as a deployment without a load balancer would expose them: the browser maps
 * the names to the gateways' ports, and each gateway lists both origins in CORS_ORIGINS, so the page
 * served by one may open its socket to the other.
 */
const HOST_A = 'gateway-a.jobcast.test';
const HOST_B = 'gateway-b.jobcast.test';

const testId = (scope: Page | Locator, id: string): Locator => scope.locator(`[data-testid="${id}"]`);

/** Polls until the page shows what is expected: the page is live, so this waits on the job, not a timer. */
const until = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 30_000, interval: 50 });

describe('the demo page', () => {
  const stack = new E2eStack({ gateways: 2, env: { CORS_ORIGINS: `http://${HOST_A},http://${HOST_B}` } });
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    await stack.start();
    const portOf = (gateway: number): string => new URL(stack.url(gateway)).port;
    browser = await launchChromium([
      `--host-resolver-rules=MAP ${HOST_A}:80 127.0.0.1:${portOf(0)}, MAP ${HOST_B}:80 127.0.0.1:${portOf(1)}`,
    ]);
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
  });

  /** Submits demo.steps from the form; answers the new job's id (the newest job is listed first). */
  async function submitSteps(steps: number, intervalMs: number): Promise<string> {
    const before = await testId(page, 'job').count();
    await testId(page, 'job-type').selectOption('demo.steps');
    // The form is made from demo.steps' registered payload schema.
    expect(await testId(page, 'payload-steps').getAttribute('max')).toBe('10000');
    await testId(page, 'payload-steps').fill(String(steps));
    await testId(page, 'payload-intervalMs').fill(String(intervalMs));
    await testId(page, 'payload-log').check();
    await testId(page, 'submit-job').click();
    await until(() => testId(page, 'job').count()).toBe(before + 1);
    const jobId = await testId(page, 'job').first().getAttribute('data-job-id');
    if (!jobId) throw new Error('the new job has no data-job-id');
    return jobId;
  }

  const jobCard = (jobId: string): Locator => page.locator(`[data-testid="job"][data-job-id="${jobId}"]`);

  async function expectCompleted(jobId: string, steps: number): Promise<void> {
    const job = jobCard(jobId);
    await until(() => testId(job, 'job-status').textContent()).toBe('completed');
    expect(await testId(job, 'job-percent').textContent()).toBe('100%');
    expect(await testId(job, 'job-progress').getAttribute('aria-valuenow')).toBe('100');
    expect(await testId(job, 'job-message').textContent()).toBe(`step ${steps} of ${steps}`);
    expect(JSON.parse((await testId(job, 'job-result').textContent()) ?? '')).toEqual({ steps });
    // A listed job's card shows its snapshot at once; its log lines come from the watch's backlog just after.
    await until(() => testId(job, 'job-log').textContent()).toContain(`finished step ${steps}`);
    expect(await testId(job, 'job-cancel').isDisabled()).toBe(true);
  }

  it('submits a job and shows it live to 100%, then moves to the other gateway when its own dies', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://${HOST_A}/?gateways=http://${HOST_B}`);

    await testId(page, 'user-name').fill('dana');
    await testId(page, 'get-token').click();
    await until(() => testId(page, 'signed-in').textContent()).toContain('dana');
    await until(() => testId(page, 'connection-state').getAttribute('data-state')).toBe('connected');
    await until(() => testId(page, 'gateway-id').textContent()).toBe('gateway-1');
    expect(await testId(page, 'connected-url').textContent()).toBe(`http://${HOST_A}`);

    const first = await submitSteps(30, 100);
    await expectCompleted(first, 30);

    const second = await submitSteps(30, 100);
    const percent = async (): Promise<number> =>
      Number((await testId(jobCard(second), 'job-percent').textContent())?.replace('%', ''));
    await until(percent).toBeGreaterThanOrEqual(20);
    stack.stack.gateways[0]?.kill('SIGKILL');

    // The page says it lost its gateway, then carries on through the other one.
    await until(() => testId(page, 'connection-log').textContent()).toContain('reconnecting…');
    await until(() => testId(page, 'gateway-id').textContent()).toBe('gateway-2');
    await until(() => testId(page, 'connection-state').getAttribute('data-state')).toBe('connected');
    await until(() => testId(page, 'connected-url').textContent()).toBe(`http://${HOST_B}`);
    await expectCompleted(second, 30);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Signing in again on the surviving gateway lists both jobs (GET /jobs), newest first, as they ended.
    await page.goto(`http://${HOST_B}/`);
    await testId(page, 'user-name').fill('dana');
    await testId(page, 'get-token').click();
    await until(() => testId(page, 'job').count()).toBe(2);
    const listed = await Promise.all((await testId(page, 'job').all()).map((job) => job.getAttribute('data-job-id')));
    expect(listed).toEqual([second, first]);
    await expectCompleted(first, 30);
    await expectCompleted(second, 30);
    expect(errors).toEqual([]);
  });

  it("watches over the plain WebSocket with ?transport=websocket (Chromium's own WebSocket)", async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://${HOST_B}/?transport=websocket`);
    await testId(page, 'user-name').fill('erin');
    await testId(page, 'get-token').click();
    await until(() => testId(page, 'connection-state').getAttribute('data-state')).toBe('connected');
    expect(await testId(page, 'connection-log').textContent()).toContain('over websocket');
    const job = await submitSteps(10, 50);
    await expectCompleted(job, 10);
    expect(errors).toEqual([]);
  });

  it("shows a job's output growing under its progress bar, to the last byte", async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://${HOST_B}/`);
    await testId(page, 'user-name').fill('frank');
    await testId(page, 'get-token').click();
    await until(() => testId(page, 'connection-state').getAttribute('data-state')).toBe('connected');
    await testId(page, 'job-type').selectOption('demo.text');
    // Each job type has its own fieldset (text.wordcount has `words` and `seed` too).
    const form = page.locator('fieldset[data-job-type="demo.text"]');
    await testId(form, 'payload-words').fill('120');
    await testId(form, 'payload-wordsPerSecond').fill('60');
    await testId(form, 'payload-seed').fill('4');
    await testId(page, 'submit-job').click();
    await until(() => testId(page, 'job').count()).toBe(1);
    const job = testId(page, 'job').first();
    const output = testId(job, 'job-output');
    // Growing while the job runs, under its bar.
    await until(async () => (await output.textContent())?.length ?? 0).toBeGreaterThan(0);
    expect(await testId(job, 'job-status').textContent()).toBe('active');
    await until(() => testId(job, 'job-status').textContent()).toBe('completed');
    expect(await output.getAttribute('data-key')).toBe('text');
    expect(await output.textContent()).toBe([...generatedTokens(4, 120)].join(''));
    expect(errors).toEqual([]);
  });

  it('shows a job submitted elsewhere (over HTTP, as the CLI does) live through the owner feed, and a batch above its jobs', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // Gateway A was killed above: the page and the submit both use B.
    await page.goto(`http://${HOST_B}/`);
    await testId(page, 'user-name').fill('fay');
    await testId(page, 'get-token').click();
    await until(() => testId(page, 'connection-state').getAttribute('data-state')).toBe('connected');
    const { token } = (await (
      await fetch(`${stack.url(1)}/auth/dev-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub: 'fay' }),
      })
    ).json()) as { token: string };
    const submitted = (await (
      await fetch(`${stack.url(1)}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ type: 'demo.steps', payload: { steps: 10, intervalMs: 50, log: true } }),
      })
    ).json()) as { job: { id: string } };
    // Nothing on the page asked for it: the feed brought it.
    await until(() => jobCard(submitted.job.id).count()).toBe(1);
    await expectCompleted(submitted.job.id, 10);

    await testId(page, 'job-type').selectOption('demo.steps');
    await testId(page, 'payload-steps').fill('5');
    await testId(page, 'payload-intervalMs').fill('50');
    await testId(page, 'batch-size').fill('5');
    await testId(page, 'submit-batch').click();
    await until(() => testId(page, 'job').count()).toBe(6);
    const batch = testId(page, 'batch');
    await until(() => batch.getAttribute('data-done')).toBe('true');
    expect(await testId(batch, 'batch-percent').textContent()).toBe('100%');
    expect(await testId(batch, 'batch-counts').textContent()).toContain('5 jobs: 5 completed');
    expect(errors).toEqual([]);
  });

  it('runs examples/plain-websocket.html: no library, its own WebSocket, resumed across a gateway restart', async () => {
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    // A blocked inline script would show here: the page's policy allows exactly its one script.
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) problems.push(message.text());
    });
    await page.goto(`http://${HOST_B}/plain-websocket.html`);
    await testId(page, 'start').click();
    const drawn = async (): Promise<number[]> =>
      (await testId(page, 'events').locator('li').allTextContents()).map((line) => Number(line.split(' ')[0]));
    await until(async () => (await drawn()).length).toBeGreaterThanOrEqual(5);
    const gateway = stack.stack.gateways[1];
    gateway?.kill('SIGTERM');
    await until(() => testId(page, 'status').textContent()).toContain('reconnecting');
    await gateway?.exited();
    await gateway?.start();
    await until(() => testId(page, 'status').textContent()).toBe('completed');
    expect(await drawn()).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(await testId(page, 'bar').getAttribute('value')).toBe('100');
    expect(problems).toEqual([]);
  });
});
