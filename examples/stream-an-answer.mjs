import { connect } from '@jobcast/client';
import { createWorker, defineJobType, sleep, z } from '@jobcast/worker';
import pino from 'pino';

const base = process.env.JOBCAST_URL ?? 'http://localhost:3000';

/** Stands in for an LLM SDK's stream of text: any async iterable of strings pipes in the same way. */
async function* answerTo(question, signal) {
  for (const token of `You asked: “${question}”. Here is the answer, word by word. 🚀`.split(/(?= )/)) {
    await sleep(30, signal);
    yield token;
  }
}

const answer = defineJobType({
  name: 'example.answer',
  description: 'Answers a question, streamed word by word as its output "answer".',
  payload: z.strictObject({ question: z.string().min(1).max(500) }),
  async run({ payload, signal, stream }) {
    await stream('answer').pipe(answerTo(payload.question, signal)); // writes each piece, then ends the stream
    return { answered: true };
  },
});

// The handler's side: a worker running the job type (usually a process of its own).
const worker = await createWorker({
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  jobTypes: [answer],
  logger: pino({ level: 'warn' }),
  handleSignals: false,
});

// The watcher's side: submit, then print the answer as it comes.
const post = async (path, body, token) => {
  const headers = { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) };
  return (await fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) })).json();
};
const { token } = await post('/auth/dev-token', { sub: 'alice' });
const { job } = await post('/jobs', { type: 'example.answer', payload: { question: 'Why stream?' } }, token);
const client = connect({ urls: [base], token });
for await (const piece of client.watch(job.id).output('answer')) process.stdout.write(piece);
process.stdout.write('\n');
client.close();
await worker.close();
