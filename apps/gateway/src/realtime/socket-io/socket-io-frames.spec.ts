import type { JobEvent } from '@jobcast/contracts';
import { Decoder } from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { eventJson, rememberJson } from '../event-json';
import { jobEventFrame, jobEventsFrame } from './socket-io-frames';

describe('encoded events', () => {
  const event: JobEvent = { jobId: 'j1', seq: 3, at: 10, type: 'progress', data: { percent: 50 } };

  it('builds the frame socket.io-parser decodes as a job:event packet on /jobs', () => {
    const decoder = new Decoder();
    const packets: unknown[] = [];
    decoder.on('decoded', (packet) => packets.push(packet));
    decoder.add(jobEventFrame(event).packet);
    expect(packets).toEqual([{ type: 2, nsp: '/jobs', data: ['job:event', event] }]);
  });

  it('builds one job:events packet for a burst, shared by every socket that gets the same burst', () => {
    const burst: JobEvent[] = [event, { ...event, seq: 4, data: { percent: 60 } }];
    const decoder = new Decoder();
    const packets: unknown[] = [];
    decoder.on('decoded', (packet) => packets.push(packet));
    decoder.add(jobEventsFrame(burst).packet);
    expect(packets).toEqual([{ type: 2, nsp: '/jobs', data: ['job:events', burst] }]);
    expect(jobEventsFrame(burst)).toBe(jobEventsFrame(burst));
  });

  it('reuses the JSON an event arrived as, and encodes each event once', () => {
    const arrived = { ...event };
    rememberJson(arrived, '{"jobId":"j1","seq":3,"at":10,"type":"progress","data":{"percent":50}}');
    expect(eventJson(arrived)).toBe('{"jobId":"j1","seq":3,"at":10,"type":"progress","data":{"percent":50}}');
    expect(jobEventFrame(arrived)).toBe(jobEventFrame(arrived));
    expect(Buffer.concat(jobEventFrame(arrived).options.wsPreEncodedFrame).toString()).toContain(
      `42/jobs,["job:event",${eventJson(arrived)}]`,
    );
  });
});
