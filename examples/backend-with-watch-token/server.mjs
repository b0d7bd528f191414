// A backend that submits jobs for its signed-in users and hands their browser a watch token: the page
// watches its one job straight from a Jobcast gateway, over the browser's own WebSocket, and can do
// nothing else with that token. The backend's own service token (scope `jobs:submit`) never leaves it.
//
//   JOBCAST_URL=http://localhost:3000 JOBCAST_SERVICE_TOKEN=... PORT=4000 node server.mjs
//
// The gateways must list this page's origin in CORS_ORIGINS, as for any page on another origin.
import { createServer } from 'node:http';

const jobcast = process.env.JOBCAST_URL ?? 'http://localhost:3000';
const serviceToken = process.env.JOBCAST_SERVICE_TOKEN;
const port = Number(process.env.PORT ?? 4000);

/** Submits for `user` and answers what the page needs to watch: the job, a watch token, the socket URL. */
async function startReport(user) {
  const response = await fetch(`${jobcast}/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${serviceToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'demo.steps', payload: { steps: 10, intervalMs: 100 }, owner: { sub: user } }),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`);
  return {
    jobId: answer.job.id,
    watchToken: answer.watchToken.token,
    socketUrl: `${jobcast.replace(/^http/, 'ws')}/ws`,
  };
}

const page = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Your report</title></head>
  <body>
    <button id="build">Build my report</button>
    <p><progress id="bar" max="100" value="0"></progress> <strong id="status">idle</strong></p>
    <script>
      const $ = (id) => document.getElementById(id);
      $('build').onclick = async () => {
        $('build').disabled = true;
        const { jobId, watchToken, socketUrl } = await (await fetch('/reports', { method: 'POST' })).json();
        const socket = new WebSocket(socketUrl, 'jobcast.v1');
        socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token: watchToken }));
        socket.onmessage = ({ data }) => {
          const message = JSON.parse(data);
          if (message.type === 'welcome') socket.send(JSON.stringify({ type: 'subscribe', jobId }));
          if (message.type === 'error') $('status').textContent = message.error.code;
          // Message and event types a page does not know (a newer gateway's) are skipped, as every client must.
          if (message.type !== 'subscribed' && message.type !== 'events') return;
          for (const event of message.events) {
            if (event.type === 'progress') $('bar').value = event.data.percent;
            if (['queued', 'started', 'retrying', 'completed', 'failed', 'cancelled'].includes(event.type)) {
              $('status').textContent = event.type;
            }
          }
        };
      };
    </script>
  </body>
</html>`;

createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  } else if (request.method === 'POST' && request.url === '/reports') {
    // A real backend takes the user from its own session; this one has a single user.
    startReport('alice').then(
      (answer) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer)),
      (error) => response.writeHead(502, { 'content-type': 'text/plain' }).end(String(error)),
    );
  } else {
    response.writeHead(404).end();
  }
}).listen(port, () => console.log(`backend on http://127.0.0.1:${port}`));
