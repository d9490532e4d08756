#!/bin/sh
# Commit the recorded tables with manifests that match them; safe while a recording runs.
# First each manifest is brought in line with its table (a torn tail left by a killed recording
# is cut off), then table and manifest are staged together under the table's append lock, which
# the recorder holds while it appends a curve and rewrites the manifest.
cd "$(dirname "$0")/.." || exit 1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
python -m hpobench surrogate check --fix surrogates || exit 1
for d in surrogates/*/; do
    d="${d%/}"
    [ -f "$d/manifest.json" ] && [ -f "$d/curves.jsonl.gz" ] || continue
    flock "$d/.append.lock" git add "$d/curves.jsonl.gz" "$d/manifest.json" || exit 1
done
# the message counts what was staged (the live tables may have grown since)
counts=$(for d in surrogates/*/; do
    d="${d%/}"
    git show ":$d/manifest.json" 2>/dev/null | python -c 'import json,sys; m=json.load(sys.stdin); print(m["benchmark"] + ": " + str(m["curves"]) + " curves")'
done | paste -sd ',' | sed 's/,/, /g')
# plain `git commit` commits the index as staged above (a pathspec would re-read the files)
git commit -m "${1:-Recorded learning curves so far: $counts}"
