import { connect } from '@jobcast/client';

const urls = (process.env.JOBCAST_URLS ?? 'http://localhost:3000,http://localhost:3001').split(',');
const post = async (path, body, token) => {
  const headers = { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) };
  const response = await fetch(urls[0] + path, { method: 'POST', headers, body: JSON.stringify(body) });
  return response.json();
};

const { token } = await post('/auth/dev-token', { sub: 'alice' });
const { job } = await post('/jobs', { type: 'hash.sha256', payload: { sizeMb: 16 } }, token);

// Reconnects by itself (to the next URL when one is down) and resumes after the last seq it delivered.
const client = connect({ urls, token });
const watch = client.watch(job.id);
for await (const event of watch) {
  if (event.type === 'progress') console.log(`${event.data.percent}% ${event.data.message ?? ''}`);
}
const end = await watch.done;
console.log(end.type, JSON.stringify(end.data));
client.close();
