/**
 * What a gateway must answer a fuzz subscribe or unsubscribe with, from the contract, and the check of each ack
 * against it.
 */
import {
  ErrorCode,
  SubscribeAckSchema,
  SubscribeRequestSchema,
  UnsubscribeAckSchema,
  UnsubscribeRequestSchema,
} from '@jobcast/contracts';
import { ERROR_CODES, preview, type Problems } from './fuzz-findings';
import type { PlainConnectionPlan, RawPacket, SocketCase } from './fuzz-socket-cases';
import type { FuzzWorld } from './fuzz-world';

type AckVerdict = { valid: false } | { valid: true; jobId: string; afterSeq: number; owned: boolean };

/** What the gateway must answer, from the contract: Nest hands a handler its one argument, or the list of them. */
export function ackOracle(world: FuzzWorld, event: string, args: unknown[]): AckVerdict {
  // What JSON makes of each argument on the wire (binary ones travel as they are).
  const wire = args.map((arg) => (Buffer.isBuffer(arg) ? arg : (JSON.parse(JSON.stringify(arg) ?? 'null') as unknown)));
  const data: unknown = wire.length === 0 ? undefined : wire.length === 1 ? wire[0] : wire;
  const schema = event === 'subscribe' ? SubscribeRequestSchema : UnsubscribeRequestSchema;
  const parsed = schema.safeParse(data);
  if (!parsed.success) return { valid: false };
  const { jobId } = parsed.data;
  const afterSeq = (parsed.data as { afterSeq?: number }).afterSeq ?? 0;
  return { valid: true, jobId, afterSeq, owned: world.owners.get(jobId) === 'alice' };
}

/** Checks one ack against the oracle; answers a problem kind, or undefined when it is right. */
export function ackProblem(event: string, verdict: AckVerdict, ack: unknown): string | undefined {
  const parsed = (event === 'subscribe' ? SubscribeAckSchema : UnsubscribeAckSchema).safeParse(ack);
  if (!parsed.success) return `${event}: malformed ack`;
  const answer = parsed.data;
  if (!answer.ok) {
    const { code } = answer.error;
    if (!/^[A-Z_]+$/.test(code) || !ERROR_CODES.has(code)) return `${event}: ack code ${code} is not in the contract`;
    if (!verdict.valid)
      return code === ErrorCode.VALIDATION_FAILED ? undefined : `${event}: ${code} for a malformed request`;
    if (event === 'unsubscribe') return `unsubscribe: ${code} for a valid request`;
    const transient: string[] = [
      ErrorCode.RATE_LIMITED,
      ErrorCode.TOO_MANY_SUBSCRIPTIONS,
      ErrorCode.SUBSCRIPTION_CLOSED,
    ];
    if (transient.includes(code)) return undefined;
    if (code === ErrorCode.JOB_NOT_FOUND && !verdict.owned) return undefined;
    return `subscribe: ${code} for a valid subscribe to ${verdict.owned ? 'an own' : "someone else's"} job`;
  }
  if (!verdict.valid) return `${event}: ok for a malformed request`;
  if (event === 'unsubscribe') return undefined;
  if (!verdict.owned) return "subscribe: ok for someone else's or a missing job";
  const subscribed = SubscribeAckSchema.safeParse(ack);
  if (!subscribed.success || !subscribed.data.ok) return 'subscribe: malformed ack';
  const { snapshot, events, reset } = subscribed.data;
  if (snapshot.id !== verdict.jobId) return 'subscribe: snapshot of another job';
  // A reset (afterSeq past the job's last seq here: the fuzz's logs are never trimmed) gives the whole log.
  const aheadOfLog = verdict.afterSeq > snapshot.lastSeq;
  if (reset !== (aheadOfLog || undefined))
    return 'subscribe: reset when the log holds everything, or none when it does not';
  const seqList = events.map((e) => e.seq);
  if (
    events.some((e) => e.jobId !== verdict.jobId) ||
    seqList.some((seq, i) => seq <= (seqList[i - 1] ?? (aheadOfLog ? 0 : verdict.afterSeq)))
  ) {
    return 'subscribe: backlog not the job’s events after afterSeq, in order';
  }
  return undefined;
}

export function socketReproducer(c: SocketCase, answer: string): string {
  const args = c.args.map((arg) =>
    Buffer.isBuffer(arg) ? `<Buffer ${arg.length} B>` : (JSON.stringify(arg) ?? 'undefined'),
  );
  return `#${c.index} [${c.kind}: ${c.label}] emit(${JSON.stringify(c.event)}, ${preview(args.join(', '), 300)}) → ${preview(answer, 240)}`;
}

/** The acks in raw Engine.IO frames (`43/jobs,<id>[…]`), by ack id: the first for each id. */
export function rawAcksIn(frames: readonly string[]): Map<string, unknown> {
  const acks = new Map<string, unknown>();
  for (const frame of frames) {
    const match = /^43\/jobs,(\d+)(.*)$/s.exec(frame);
    if (!match?.[1] || acks.has(match[1])) continue;
    try {
      acks.set(match[1], (JSON.parse(match[2] ?? '') as unknown[])[0]);
    } catch {
      acks.set(match[1], `unparsable: ${match[2] ?? ''}`);
    }
  }
  return acks;
}

/** Every packet sent by hand with an ack id must have its ack, and the ack must be what the contract says. */
export function checkRawAcks(
  expected: ReadonlyMap<string, RawPacket>,
  acks: ReadonlyMap<string, unknown>,
  world: FuzzWorld,
  problems: Problems,
): void {
  for (const [id, packet] of expected) {
    const ack = acks.get(id);
    const reproducer = socketReproducer(packet.c, JSON.stringify(ack) ?? 'no ack').replace(
      /^#\d+/,
      `raw ack id ${packet.id}`,
    );
    if (ack === undefined) {
      problems.add(`raw ${packet.c.event}: no ack`, reproducer);
      continue;
    }
    const problem = ackProblem(packet.c.event, ackOracle(world, packet.c.event, packet.c.args), ack);
    if (problem) problems.add(`raw ${problem}`, reproducer);
  }
}

/**
 * The answers of a plain WebSocket connection (`events` pushes aside): each of a known shape with a coded
 * error, echoing only a short string id, and every request sent before `auth` refused.
 */
export function checkPlainReplies(
  plan: PlainConnectionPlan,
  answers: ReadonlyArray<Record<string, unknown>>,
  problems: Problems,
): void {
  const replies = answers.filter((answer) => answer.type !== 'events');
  for (const [at, answer] of replies.entries()) {
    const known = ['error', 'subscribed', 'unsubscribed', 'pong', 'welcome'].includes(String(answer.type));
    const code = (answer.error as { code?: unknown } | undefined)?.code;
    if (!known || (answer.type === 'error' && !ERROR_CODES.has(String(code)))) {
      problems.add(
        'ws: an answer of an unknown shape',
        `connection ${plan.index} #${at}: ${preview(JSON.stringify(answer))}`,
      );
    }
    if ('id' in answer && (typeof answer.id !== 'string' || answer.id.length > 64)) {
      problems.add(
        'ws: an echoed id that is not a short string',
        `connection ${plan.index}: ${preview(JSON.stringify(answer))}`,
      );
    }
    if (
      at < plan.beforeAuth.length &&
      !(answer.type === 'error' && ['UNAUTHORIZED', 'VALIDATION_FAILED'].includes(String(code)))
    ) {
      problems.add(
        'ws: a request before auth was not refused',
        `connection ${plan.index}: ${preview(JSON.stringify(answer))}`,
      );
    }
  }
}
