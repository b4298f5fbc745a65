"""The request log under concurrent writers: no lost or torn lines, rotation by size."""

from __future__ import annotations

import json
import threading

from pipeline.serving.request_log import RequestLog


def test_concurrent_appends_keep_every_line_whole_across_rotations(tmp_path):
    log = RequestLog(tmp_path / "requests.jsonl", rotate_bytes=20_000)

    def writer(number: int) -> None:
        for index in range(50):
            log.append([{"writer": number, "index": index, "pad": "x" * 100}] * 2)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    files = log.files()
    assert len(files) > 2, "the log should have rotated"
    assert files[-1] == log.path
    records = [json.loads(line) for path in files for line in path.read_text().splitlines()]
    assert len(records) == 8 * 50 * 2
    assert {(r["writer"], r["index"]) for r in records} == {
        (w, i) for w in range(8) for i in range(50)
    }
    # A request's rows stay together: rotation happens between appends, never inside one.
    for path in files:
        lines = path.read_text().splitlines()
        assert len(lines) % 2 == 0
