import { io } from 'socket.io-client';

const base = process.env.JOBCAST_URL ?? 'http://localhost:3000';
const post = async (path, body, token) => {
  const headers = { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) };
  const response = await fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) });
  return response.json();
};

const { token } = await post('/auth/dev-token', { sub: 'alice' });
const { job } = await post('/jobs', { type: 'demo.steps', payload: { steps: 5, intervalMs: 200 } }, token);

const socket = io(`${base}/jobs`, { auth: { token } });
const show = (event) => {
  console.log(event.seq, event.type, JSON.stringify(event.data));
  if (['completed', 'failed', 'cancelled'].includes(event.type)) socket.close();
};
socket.on('job:event', show);
socket.emit('subscribe', { jobId: job.id }, (ack) => {
  if (!ack.ok) throw new Error(ack.error.code);
  ack.events.forEach(show); // what happened before we subscribed; live events follow
});
