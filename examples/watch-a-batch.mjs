import { connect } from '@jobcast/client';

const urls = (process.env.JOBCAST_URLS ?? 'http://localhost:3000,http://localhost:3001').split(',');
const post = async (path, body, token) => {
  const headers = { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) };
  const response = await fetch(urls[0] + path, { method: 'POST', headers, body: JSON.stringify(body) });
  return response.json();
};

const { token } = await post('/auth/dev-token', { sub: 'alice' });
const jobs = Array.from({ length: 5 }, () => ({ type: 'demo.steps', payload: { steps: 4, intervalMs: 100 } }));
const { batch } = await post('/batches', { jobs }, token);

// One subscription for the whole batch; it resumes by cursor across reconnects and gateways.
const client = connect({ urls, token });
const feed = client.feed({ batch: batch.id });
for await (const changed of feed) {
  for (const job of changed) console.log(`${job.id.slice(0, 8)} ${job.status} ${job.percent}%`);
  if (feed.batch?.done) break;
}
console.log(`batch ${feed.batch.percent}%`, JSON.stringify(feed.batch.counts));
client.close();
