"""Watches a Jobcast job over the plain WebSocket with Debian's python3-websockets, and resumes on the next
gateway after a drop, from the last seq it printed. No Jobcast library: only docs/protocol.md. It submits
demo.steps, or the job type and payload given: `watch-with-python.py demo.text '{"words": 50}'`. Like every
client, it skips message types, event types and fields it does not know."""

import asyncio
import itertools
import json
import os
import sys
import urllib.request

import websockets

URLS = os.environ.get("JOBCAST_URLS", "http://localhost:3000,http://localhost:3001").split(",")
TERMINAL = {"completed", "failed", "cancelled"}


def post(path, body, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(URLS[0] + path, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(request) as response:
        return json.load(response)


async def watch(job_id, token):
    last_seq = 0
    for attempt in itertools.count():
        url = URLS[attempt % len(URLS)].replace("http", "ws", 1) + "/ws"
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with websockets.connect(url, subprotocols=["jobcast.v1"], extra_headers=headers) as socket:
                async for frame in socket:
                    message = json.loads(frame)
                    if message["type"] == "welcome":
                        subscribe = {"type": "subscribe", "id": "watch", "jobId": job_id, "afterSeq": last_seq}
                        await socket.send(json.dumps(subscribe))
                    elif message["type"] in ("subscribed", "events"):
                        for event in message["events"]:
                            print(event["seq"], event["type"], json.dumps(event["data"]), flush=True)
                            last_seq = event["seq"]
                            if event["type"] in TERMINAL:
                                return event
                    elif message["type"] == "error":
                        raise SystemExit(f"{message['error']['code']}: {message['error']['message']}")
        except websockets.ConnectionClosed as closed:
            # 4000-4399 (and network drops): reconnect and resume. 4400-4499: not without a new token.
            if 4400 <= closed.code < 4500:
                raise SystemExit(f"closed with {closed.code}: {closed.reason}")
        except OSError:
            pass  # this gateway is down: try the next one
        await asyncio.sleep(0.2)


token = post("/auth/dev-token", {"sub": "alice"})["token"]
job_type = sys.argv[1] if len(sys.argv) > 1 else "demo.steps"
payload = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {"steps": 20, "intervalMs": 100}
job = post("/jobs", {"type": job_type, "payload": payload}, token)["job"]
asyncio.run(watch(job["id"], token))
