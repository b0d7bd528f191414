"""A service in Python that runs its own work and reports it to Jobcast over HTTP.

It creates an external job for a user, hands out the job's watch token (a browser watches with it),
then appends progress and the result. JOBCAST_URL and JOBCAST_SERVICE_TOKEN (a token with the
`jobs:publish` scope) come from the environment.
"""
import os
import time
import uuid

import requests

base = os.environ.get("JOBCAST_URL", "http://localhost:3000")
session = requests.Session()
session.headers["Authorization"] = f"Bearer {os.environ['JOBCAST_SERVICE_TOKEN']}"


def call(method, path, **kwargs):
    response = session.request(method, base + path, timeout=10, **kwargs)
    if not response.ok:
        error = response.json()["error"]
        raise RuntimeError(f"{error['code']}: {error['message']}")
    return response.json()


created = call("POST", "/jobs", json={
    "type": "report.build",
    "payload": {"month": "2026-11"},
    "external": True,
    "owner": {"sub": "alice"},
    "leaseMs": 30_000,  # failed with LEASE_EXPIRED if this service stops reporting for 30 s
})
job_id = created["job"]["id"]
print(f"job {job_id}; a browser watches it with the token {created['watchToken']['token'][:12]}...")


def report(*events):
    # A retry with the same Idempotency-Key appends nothing twice, so network errors are safe to retry.
    key = str(uuid.uuid4())
    for attempt in range(3):
        try:
            return call("POST", f"/jobs/{job_id}/events", json={"events": list(events)},
                        headers={"Idempotency-Key": key})["lastSeq"]
        except requests.ConnectionError:
            time.sleep(0.2 * (attempt + 1))
    raise RuntimeError("Jobcast is unreachable")


report({"type": "started", "data": {"attempt": 1}})
sections = ["sales", "costs", "forecast"]
for index, section in enumerate(sections, start=1):
    time.sleep(0.1)  # the real work
    report({"type": "progress", "data": {
        "percent": round(100 * index / len(sections)), "stage": "building", "message": section,
        "current": index, "total": len(sections),
    }})
last_seq = report({"type": "completed", "data": {"result": {"pages": 12}}})
print(f"completed at seq {last_seq}")
