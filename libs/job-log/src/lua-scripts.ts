import { OUTPUT_MAX_STREAMS, TERMINAL_STATUSES } from '@jobcast/contracts';
import appendEvent from './lua/append-event.lua';
import appendEvents from './lua/append-events.lua';
import appendToLog from './lua/append-to-log.lua';
import createJob from './lua/create-job.lua';
import expireLease from './lua/expire-lease.lua';
import outputRefusal from './lua/output-refusal.lua';
import readSince from './lua/read-since.lua';
import refuseEndedJob from './lua/refuse-ended-job.lua';
import requestCancel from './lua/request-cancel.lua';

/**
 * The job log's scripts, from the Lua files in ./lua. They run inside Redis so that a job's seq, log entry,
 * snapshot and live publish change together: a watcher can never see an event that is not in the log, nor
 * a log entry that was never published. All keys of one call share the job's hash tag, so this holds on a
 * Redis Cluster too.
 */

/** The statuses that end a job, as the Lua set refuse-ended-job.lua looks a status up in. */
const TERMINAL_STATUSES_LUA = `local TERMINAL_STATUSES = { ${TERMINAL_STATUSES.map((status) => `['${status}'] = true`).join(', ')} }`;

/** How many output streams one job may write, as output-refusal.lua reads it. */
const OUTPUT_MAX_STREAMS_LUA = `local OUTPUT_MAX_STREAMS = ${OUTPUT_MAX_STREAMS}`;

/** A script that writes events, after the functions it calls. */
function writingEvents(script: string): string {
  return [TERMINAL_STATUSES_LUA, OUTPUT_MAX_STREAMS_LUA, refuseEndedJob, outputRefusal, appendToLog, script].join('\n');
}

export const APPEND_EVENT_LUA = writingEvents(appendEvent);
export const APPEND_EVENTS_LUA = writingEvents(appendEvents);
export const CREATE_JOB_LUA = writingEvents(createJob);
export const EXPIRE_LEASE_LUA = writingEvents(expireLease);
export const READ_SINCE_LUA = readSince;
export const REQUEST_CANCEL_LUA = requestCancel;
