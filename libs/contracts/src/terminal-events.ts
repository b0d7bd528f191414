import type { JobEvent } from './job-event';
import { isTerminalStatus } from './job-status';

/** Whether the event ends its job: a terminal event is named for the terminal status it sets. */
export function isTerminalEvent(event: Pick<JobEvent, 'type'>): boolean {
  return isTerminalStatus(event.type);
}
