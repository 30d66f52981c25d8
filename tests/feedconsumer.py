"""A change-feed consumer as a handling system writes one: long-polls GET /changes, appends each event to a file
as one JSON line (one write each: the line is both the processing and the checkpoint), and on start resumes
after the last complete line. Run: python -m tests.feedconsumer URL TOKEN OUTFILE DONEFILE."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import httpx


def resume_point(out: Path) -> int:
    """The last seq written; a torn last line (killed mid-write) is cut off."""
    if not out.exists():
        return 0
    data = out.read_bytes()
    complete = data[:data.rfind(b"\n") + 1]
    if complete != data:
        out.write_bytes(complete)
    lines = complete.decode("utf-8").splitlines()
    return int(json.loads(lines[-1])["seq"]) if lines else 0


def main(url: str, token: str, out: Path, done: Path) -> None:
    since = resume_point(out)
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        while True:
            finished = done.exists()  # checked before the poll, so an empty answer after it means the end
            body = client.get("/changes", params={"since": since, "limit": 7, "wait": 1}).raise_for_status().json()
            for event in body["events"]:
                os.write(fd, (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8"))
            since = body["next_since"]
            if finished and not body["events"]:
                return


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
