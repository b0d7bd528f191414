"""Watches one job over Socket.IO with Debian's python3-socketio, websocket transport only: an independent
client, as a service written in Python from docs/protocol.md would be. Its WebSocket library sends the
Origin a browser page on that URL would send (`Origin: http://host:port`).

Usage: JOBCAST_TOKEN=... python3 socketio_watch.py BASE_URL JOB_ID
Prints each event as one JSON line, then exits 0 after the terminal one; a refused handshake prints
`connect_error: <reason>` to stderr and exits 2.
"""

import json
import os
import sys
import threading

import socketio

TERMINAL = {"completed", "failed", "cancelled"}


def main() -> int:
    base_url, job_id = sys.argv[1], sys.argv[2]
    done = threading.Event()
    seen = set()
    client = socketio.Client(reconnection=False)

    def show(event):
        if event["jobId"] != job_id or event["seq"] in seen:
            return
        seen.add(event["seq"])
        print(json.dumps(event), flush=True)
        if event["type"] in TERMINAL:
            done.set()

    client.on("job:event", show, namespace="/jobs")
    try:
        client.connect(
            base_url,
            namespaces=["/jobs"],
            transports=["websocket"],
            auth={"token": os.environ["JOBCAST_TOKEN"]},
            wait_timeout=10,
        )
    except socketio.exceptions.ConnectionError as error:
        print(f"connect_error: {error}", file=sys.stderr)
        return 2
    ack = client.call("subscribe", {"jobId": job_id}, namespace="/jobs", timeout=10)
    if not ack.get("ok"):
        print(f"subscribe: {ack}", file=sys.stderr)
        client.disconnect()
        return 1
    for event in ack["events"]:
        show(event)
    finished = done.wait(60)
    client.disconnect()
    return 0 if finished else 1


if __name__ == "__main__":
    sys.exit(main())
