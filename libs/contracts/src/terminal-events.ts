import type { JobEvent, JobEventType } from './job-event';

export const TERMINAL_EVENT_TYPES = ['completed', 'failed', 'cancelled'] as const satisfies readonly JobEventType[];
export type TerminalEventType = (typeof TERMINAL_EVENT_TYPES)[number];

export function isTerminalEvent(event: Pick<JobEvent, 'type'>): boolean {
  return (TERMINAL_EVENT_TYPES as readonly string[]).includes(event.type);
}
