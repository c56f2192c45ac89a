#!/usr/bin/env python3
"""Converts an hpack-test-case checkout into the JSON-lines files the HPACK tests read.

Usage: python3 tools/HPackTestData/convert.py SOURCE_DIR tests/FastGate.Core.Tests/TestData/hpack

SOURCE_DIR holds one folder per encoder (raw-data, nghttp2, go-hpack, ...) of story_NN.json files.
Each folder becomes FOLDER.jsonl: one line per case, stories in file-name order and cases in
their order (cases of one story share one compression context), as
  {"story":"story_00","seq":0,"size":4096,"wire":"82...","headers":[["name","value"],...]}
"size" (the header_table_size in force from that case on) appears only where the source gives
one (null counts as absent); "wire" is absent in raw-data, which holds only header lists.
"""
import json
import os
import sys

source, target = sys.argv[1], sys.argv[2]
os.makedirs(target, exist_ok=True)
for folder in sorted(os.listdir(source)):
    path = os.path.join(source, folder)
    if not os.path.isdir(path):
        continue
    lines = []
    for name in sorted(f for f in os.listdir(path) if f.endswith(".json")):
        with open(os.path.join(path, name), encoding="utf-8") as f:
            story = json.load(f)
        for seq, case in enumerate(story["cases"]):
            record = {"story": name[:-5], "seq": case.get("seqno", seq)}
            if case.get("header_table_size") is not None:
                record["size"] = case["header_table_size"]
            if "wire" in case:
                record["wire"] = case["wire"]
            # Every header is a one-member object; a list of pairs keeps order and repeats.
            record["headers"] = [[k, v] for header in case["headers"] for k, v in header.items()]
            lines.append(json.dumps(record, separators=(",", ":"), ensure_ascii=False))
    with open(os.path.join(target, folder + ".jsonl"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
