/**
 * A load process for baseline D: what a client does without push, polling `GET /jobs/:id` at a fixed rate
 * over keep-alive connections (Node's fetch pools them). Each job's polls start at a random point of the
 * period, as independent clients would: jobs created in a burst share their event phase, and polls
 * phased by any order of the jobs would measure that coincidence instead of staleness.
 */
import type { JobSnapshot } from '@jobcast/contracts';
import { inWindow } from '../metrics/event-stream';
import { createLatencyHistogram, encodeHistogram } from '../metrics/latency-histogram';
import { sleepUntil } from '../pacing';
import { serveRpc } from '../rpc/rpc';
import type { HttpPollersApi, PollParams, PollReport } from './http-pollers-api';

const ERRORS_KEPT = 5;

class HttpPollers implements HttpPollersApi {
  async poll({ baseUrl, token, jobIds, hz, startAt, endAt }: PollParams): Promise<PollReport> {
    const window = { startAt, endAt };
    const periodMs = 1000 / hz;
    const staleness = createLatencyHistogram();
    const report: Omit<PollReport, 'staleness'> = { polls: 0, updates: 0, eventsSkipped: 0, failed: 0, errors: [] };
    const headers = { authorization: `Bearer ${token}` };

    const pollJob = async (jobId: string): Promise<void> => {
      let lastSeq: number | undefined;
      // Absolute times, so a slow answer delays one poll, not every later one.
      for (let due = Date.now() + Math.random() * periodMs; due < endAt; due += periodMs) {
        await sleepUntil(due);
        try {
          const response = await fetch(`${baseUrl}/jobs/${jobId}`, { headers });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          const snapshot = (await response.json()) as JobSnapshot;
          const receivedAt = Date.now();
          // A poll belongs to the window it was due in: counted by arrival, the backlog of a slow start
          // (connections still opening) would crowd into the window as a burst.
          const counted = inWindow(window, due);
          if (counted) report.polls += 1;
          if (lastSeq !== undefined && snapshot.lastSeq > lastSeq && counted) {
            report.updates += 1;
            report.eventsSkipped += snapshot.lastSeq - lastSeq - 1;
            staleness.recordValue(Math.max(0, receivedAt - snapshot.updatedAt));
          }
          lastSeq = snapshot.lastSeq;
        } catch (error) {
          report.failed += 1;
          if (report.errors.length < ERRORS_KEPT)
            report.errors.push(error instanceof Error ? error.message : String(error));
        }
      }
    };

    await Promise.all(jobIds.map(pollJob));
    return { ...report, staleness: encodeHistogram(staleness) };
  }
}

serveRpc(new HttpPollers());
