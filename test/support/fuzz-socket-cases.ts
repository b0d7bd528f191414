/**
 * Random Socket.IO emits (subscribe, unsubscribe, unknown events) and raw Engine.IO frames no well-behaved
 * client sends, for fuzzing a gateway's sockets.
 */
import * as inputs from './fuzz-inputs';
import type { Rng } from './fuzz-inputs';
import { setOwn } from './fuzz-http-cases';
import { tokenPrincipal, type FuzzWorld } from './fuzz-world';

/** Below the gateway's SOCKET_MAX_MESSAGE (16 KiB), with room for the packet's framing. */
const MAX_EMIT_BYTES = 14_000;

const ODD_EVENTS = [
  'subscribe ',
  'unsubscribe\u0000',
  ...inputs.words(
    'job:event SUBSCRIBE Subscribe __proto__ constructor toString hasOwnProperty disconnect_notice error ping message',
  ),
];

const ENGINE_PACKETS = ['', ...inputs.words('0 1 2 2probe 3 3probe 4 5 6 7 9 x 40 41 4/ 4/jobs,')];

const RESERVED_EVENTS = inputs.words('connect disconnect disconnecting newListener removeListener connect_error');

export interface SocketCase {
  index: number;
  kind: string;
  label: string;
  event: string;
  args: unknown[];
  /** Whether it asks for an ack: subscribe and unsubscribe do, unknown events don't (nobody answers). */
  ack: boolean;
}

export class SocketCaseMaker {
  constructor(
    private readonly rng: Rng,
    private readonly world: FuzzWorld,
  ) {}

  /** Cases whose JSON stays below the message limit: an oversized one would (rightly) drop the socket. */
  make(index: number, binary = true): SocketCase {
    for (;;) {
      const made = this.candidate(binary);
      const size = made.args.reduce<number>(
        (sum, arg) => sum + (Buffer.isBuffer(arg) ? arg.length : Buffer.byteLength(JSON.stringify(arg) ?? '')),
        made.event.length,
      );
      if (size <= MAX_EMIT_BYTES) return { index, ...made };
    }
  }

  private candidate(binary: boolean): Omit<SocketCase, 'index'> {
    const rng = this.rng;
    const event = rng.chance(0.75) ? 'subscribe' : 'unsubscribe';
    return rng.weighted<Omit<SocketCase, 'index'>>([
      [10, () => this.request(event, 'own job', rng.pick([...this.world.aliceJobs, this.world.running]))],
      [5, () => this.request(event, "someone else's job", rng.pick([...this.world.bobJobs, ...this.world.acmeJobs]))],
      [5, () => this.request(event, 'random id', rng.string(inputs.ALPHABETS.id, rng.int(1, 64)))],
      [28, () => this.mutated(event)],
      [
        12,
        () => ({ kind: event, label: 'random JSON value', event, args: [inputs.randomJsonValue(rng, 4)], ack: true }),
      ],
      [
        4,
        () => {
          const args = Array.from({ length: rng.pick([0, 2, 3, 5]) }, () => inputs.randomJsonValue(rng, 2));
          return { kind: event, label: `${args.length} arguments`, event, args, ack: true };
        },
      ],
      [
        binary ? 3 : 0,
        () => ({
          kind: event,
          label: 'binary',
          event,
          args: [rng.chance(0.5) ? rng.bytes(rng.skewed(0, 1000)) : { jobId: rng.bytes(rng.int(1, 64)) }],
          ack: true,
        }),
      ],
      [12, () => this.unknownEvent()],
    ]);
  }

  private request(event: string, label: string, jobId: string): Omit<SocketCase, 'index'> {
    const rng = this.rng;
    const body: Record<string, unknown> = { jobId };
    if (event === 'subscribe' && rng.chance(0.5)) body.afterSeq = rng.int(0, 12);
    return { kind: event, label, event, args: [body], ack: true };
  }

  private mutated(event: string): Omit<SocketCase, 'index'> {
    const rng = this.rng;
    const body: Record<string, unknown> = {
      jobId: rng.pick([...this.world.aliceJobs, this.world.running, ...this.world.bobJobs]),
    };
    if (event === 'subscribe' && rng.chance(0.5)) body.afterSeq = rng.int(0, 12);
    const put = (key: string, value: unknown, shown = JSON.stringify(value)): string => {
      setOwn(body, key, value);
      return `${key}=${shown}`;
    };
    const junkJobId = () =>
      rng.weighted<unknown>([
        [3, () => inputs.randomJsonValue(rng, 2)],
        [2, () => inputs.randomText(rng, 80)],
        [1, () => 'x'.repeat(rng.int(65, 13_000))],
        [1, () => `${rng.pick(this.world.aliceJobs)}${rng.pick([' ', '\u0000', '/', '%', '\n', '{x}'])}`],
        [1, () => rng.pick(this.world.aliceJobs).toUpperCase()],
      ]);
    const junkAfterSeq = () =>
      rng.weighted<unknown>([
        [3, () => JSON.parse(rng.pick(inputs.NUMBER_LITERALS)) as unknown],
        [2, () => rng.pick(['', ' 2', ...inputs.words('1 -1 NaN Infinity 1e3 0x10')])],
        [2, () => inputs.randomJsonValue(rng, 1)],
      ]);
    const done: string[] = [];
    for (let i = rng.int(1, 2); i > 0; i -= 1) {
      done.push(
        rng.weighted<string>([
          [4, () => put('jobId', junkJobId(), 'junk')],
          [4, () => put('afterSeq', junkAfterSeq())],
          [2, () => `extra ${put(rng.chance(0.6) ? rng.pick(inputs.NASTY_KEYS) : inputs.randomText(rng, 12), 1)}`],
          [
            1,
            () => {
              delete body.jobId;
              return 'no jobId';
            },
          ],
        ]),
      );
    }
    return { kind: event, label: `mutated: ${done.join(', ')}`, event, args: [body], ack: true };
  }

  private unknownEvent(): Omit<SocketCase, 'index'> {
    const rng = this.rng;
    const event = rng.chance(0.5) ? inputs.randomText(rng, 30) || 'x' : rng.pick(ODD_EVENTS);
    const args = Array.from({ length: rng.int(0, 3) }, () => inputs.randomJsonValue(rng, 2));
    return { kind: 'unknown-event', label: `event ${JSON.stringify(event)}`, event, args, ack: false };
  }
}

/** Frames no well-behaved client sends: the gateway may drop the connection, but must stay up. */
export function garbageFrame(rng: Rng): { label: string; frame: string | Buffer } {
  const valid = `42/jobs,${rng.int(0, 99)}["subscribe",{"jobId":"abc","afterSeq":1}]`;
  const corrupt = (): string => {
    const chars = [...valid];
    const at = rng.int(0, chars.length - 1);
    rng.weighted<unknown>([
      [1, () => chars.splice(at, 1)],
      [1, () => chars.splice(at, 0, rng.pick([...inputs.ALPHABETS.ascii, ...inputs.ALPHABETS.nasty]))],
      [1, () => chars.splice(at)],
      [1, () => chars.splice(at, 0, ...chars.slice(0, at))],
    ]);
    return chars.join('');
  };
  const namespace = () => rng.pick(['/nope', '/', '', '/jobs/x', '/JOBS', `/${inputs.randomText(rng, 20)}`]);
  const makers: Array<[number, string, () => string | Buffer]> = [
    [4, 'random text', () => inputs.randomText(rng, 300)],
    [3, 'binary frame', () => rng.bytes(rng.skewed(0, 2000))],
    [2, 'engine packet', () => rng.pick(ENGINE_PACKETS)],
    [6, 'corrupted event packet', corrupt],
    [2, 'broken JSON in an event', () => `42/jobs,1${inputs.brokenJsonText(rng, '["subscribe",{"jobId":"abc"}]')}`],
    [
      2,
      'other namespace',
      () => `4${rng.pick(inputs.words('0 1 2 3 5 6'))}${namespace()},${inputs.randomJsonText(rng, 2)}`,
    ],
    [
      2,
      'odd ack id',
      () => `42/jobs,${rng.pick(inputs.words('-1 1.5 abc 1e3 99999999999999999999999 0x1'))}["subscribe",{}]`,
    ],
    [1, 'reserved event', () => `42/jobs,${JSON.stringify([rng.pick(RESERVED_EVENTS), 1])}`],
    [1, 'second namespace connect', () => `40/jobs,${JSON.stringify({ token: inputs.randomJsonValue(rng, 1) })}`],
    [1, 'namespace connect, not an object', () => `40/jobs,${inputs.randomJsonText(rng, 2)}`],
    [
      1,
      'binary placeholder',
      () => `451-/jobs,2["subscribe",{"_placeholder":true,"num":${rng.pick(inputs.words('0 1 -1 "x"'))}}]`,
    ],
    [1, 'many attachments', () => `45${rng.int(2, 99_999_999)}-/jobs,["subscribe",{"_placeholder":true,"num":0}]`],
    [1, 'over the message limit', () => 'x'.repeat(rng.int(16 * 1024 + 1, 40_000))],
    [
      1,
      'deep JSON',
      () => `42/jobs,1["subscribe",${inputs.deepJsonText(rng.int(100, 7000), rng.pick(['array', 'object']))}]`,
    ],
    [1, 'ack for nothing', () => `43/jobs,${rng.int(0, 1_000_000)}[${inputs.randomJsonText(rng, 2)}]`],
    [1, 'namespace disconnect', () => '41/jobs,'],
  ];
  return rng.weighted(makers.map(([weight, label, make]) => [weight, () => ({ label, frame: make() })] as const));
}

/** A Socket.IO handshake with one of the world's credentials or junk, and whom it must make the caller (null: refused). */
export interface HandshakeCase {
  index: number;
  label: string;
  token: unknown;
  principal: string | null;
}

export function handshakeCase(rng: Rng, world: FuzzWorld, index: number): HandshakeCase {
  const names = Object.keys(world.credentials);
  const auth = rng.weighted<{ label: string; token: unknown; principal: string | null }>([
    [
      3,
      () => {
        const name = rng.pick(names);
        const credential = world.credentials[name];
        return { label: name, token: credential?.token, principal: credential ? tokenPrincipal(credential) : null };
      },
    ],
    [2, () => ({ label: 'random JSON', token: inputs.randomJsonValue(rng, 2), principal: null })],
    [1, () => ({ label: 'long string', token: 'x'.repeat(rng.int(8000, 12_000)), principal: null })],
  ]);
  return { index, ...auth };
}

/** A packet of a structured raw connection: a socket case sent by hand, with the ack id it asks for. */
export interface RawPacket {
  c: SocketCase;
  id: string | undefined;
}

/**
 * What one raw Engine.IO connection sends: every other one, well-formed packets whose acks must all come
 * back; the others, garbage frames the gateway may drop the connection for.
 */
export interface RawConnectionPlan {
  index: number;
  structured: boolean;
  packets: RawPacket[];
  frames: Array<{ label: string; frame: string | Buffer }>;
  /** Whether it connects to the namespace first. */
  connect: boolean;
}

export function rawConnectionPlan(rng: Rng, maker: SocketCaseMaker, i: number): RawConnectionPlan {
  const structured = i % 2 === 0;
  if (structured) {
    // Well-formed packets with junk inside: every ack id must be answered, the connection kept.
    // Sequential ids from 1000 up, and now and then (once each) an id at an edge of the number range.
    let nextId = rng.int(1000, 5000);
    const edges = ['0', '007', '4294967296', '9007199254740993', '99999999999999999999'];
    const packets = Array.from({ length: rng.int(20, 60) }, () => {
      const c = maker.make(i, false);
      const edge = rng.chance(0.15) && edges.length > 0 ? edges.splice(rng.int(0, edges.length - 1), 1)[0] : undefined;
      const id = edge ?? String((nextId += 1));
      return { c, id: c.ack ? id : undefined };
    });
    return {
      index: i,
      structured,
      packets,
      frames: [] as Array<{ label: string; frame: string | Buffer }>,
      connect: true,
    };
  }
  const frames = Array.from({ length: rng.int(10, 40) }, () => garbageFrame(rng));
  return { index: i, structured, packets: [], frames, connect: rng.chance(0.85) };
}

/** An `id` for a plain WebSocket request, as JSON text: mostly strings, some too long, some not strings. */
function plainRequestId(rng: Rng): string {
  const text = rng.weighted<string>([
    [4, () => JSON.stringify(inputs.randomText(rng, 20))],
    [1, () => JSON.stringify('x'.repeat(rng.pick([64, 65, 1000])))],
    [2, () => rng.pick(inputs.NUMBER_LITERALS)],
    [1, () => rng.pick(['null', 'true', '[]', '{}', '{"__proto__":"x"}', '["a"]'])],
  ]);
  return text;
}

/** One plain WebSocket frame: its text, bytes sent as a binary frame, or pieces sent as a fragmented message. */
export interface WsFrame {
  kind: string;
  text?: string;
  binary?: Buffer;
  pieces?: string[];
}

/** A random frame for `GET /ws`: requests well-formed or not, for the world's jobs or others, whole or in pieces. */
export function plainFrame(rng: Rng, world: FuzzWorld): WsFrame {
  const jobId = JSON.stringify(
    rng.pick([world.running, ...world.aliceJobs, ...world.bobJobs, inputs.randomText(rng, 70)]),
  );
  return rng.weighted<WsFrame>([
    [3, () => ({ kind: 'not JSON', text: inputs.brokenJsonText(rng, '{"type":"ping","id":"a"}') })],
    [3, () => ({ kind: 'random JSON', text: inputs.randomJsonText(rng, 4) })],
    [1, () => ({ kind: 'binary', binary: rng.bytes(rng.int(0, 200)) })],
    [
      1,
      () => ({
        kind: 'deeply nested',
        text: `{"type":"ping","id":"d","x":${inputs.deepJsonText(2000, rng.pick(['array', 'object']))}}`,
      }),
    ],
    [
      2,
      () => ({
        kind: 'unknown type',
        text: `{"type":${JSON.stringify(inputs.randomText(rng, 12))},"id":${plainRequestId(rng)}}`,
      }),
    ],
    [
      2,
      () => ({
        kind: 'prototype-named keys',
        text: `{"type":"subscribe","jobId":${jobId},${JSON.stringify(rng.pick(inputs.NASTY_KEYS))}:${inputs.randomJsonText(rng, 2)}}`,
      }),
    ],
    [3, () => ({ kind: 'ping with odd id', text: `{"type":"ping","id":${plainRequestId(rng)}}` })],
    [
      4,
      () => ({
        kind: 'subscribe',
        text: `{"type":"subscribe","id":${plainRequestId(rng)},"jobId":${jobId}${rng.chance(0.5) ? `,"afterSeq":${rng.pick(inputs.NUMBER_LITERALS)}` : ''}}`,
      }),
    ],
    [2, () => ({ kind: 'unsubscribe', text: `{"type":"unsubscribe","id":${plainRequestId(rng)},"jobId":${jobId}}` })],
    [
      2,
      () => {
        const text = `{"type":"subscribe","id":"frag","jobId":${jobId}}`;
        const cut = rng.int(1, text.length - 1);
        return { kind: 'fragmented', pieces: [text.slice(0, cut), text.slice(cut)] };
      },
    ],
  ]);
}

/** A plain WebSocket connection's frames: a few before `auth` (all to be refused), many after it. */
export interface PlainConnectionPlan {
  index: number;
  beforeAuth: WsFrame[];
  afterAuth: WsFrame[];
  /** Whether it ends with a message over the size limit, which must close it with 1009. */
  oversized: boolean;
}

export function plainConnectionPlan(rng: Rng, world: FuzzWorld, index: number): PlainConnectionPlan {
  return {
    index,
    beforeAuth: Array.from({ length: rng.int(1, 5) }, () => plainFrame(rng, world)),
    afterAuth: Array.from({ length: rng.int(10, 40) }, () => plainFrame(rng, world)),
    oversized: index % 8 === 0,
  };
}
