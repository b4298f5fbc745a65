#!/usr/bin/env bash
# A copier task: start the new project from the user's own file, then name it (adopt.py).
#   scripts/adopt-own-file.sh FILE TARGET BATCH_COLUMN BATCH_BY POSITIVE ADOPT_ARGUMENTS...
# (BATCH_COLUMN, BATCH_BY and POSITIVE may be empty)
# It never fails when `make init` refuses the file: copier deletes the whole new project when a
# task fails, environment and all. The project stays as made from the template, and this says
# what to fix and which commands to run in it.
set -uo pipefail
file=$1 target=$2 batch=$3 by=$4 positive=$5
shift 5
init=(make init "FILE=$file" "TARGET=$target")
[ -n "$batch" ] && init+=("BATCH=$batch")
[ -n "$by" ] && init+=("BY=$by")
[ -n "$positive" ] && init+=("POSITIVE=$positive")
if "${init[@]}"; then
    exec python3 scripts/adopt.py "$@"
fi
selected=$(sed -n 's/^ *- *dataset: *\([^ #]*\).*/\1/p' conf/config.yaml | head -n 1)
{
    echo
    echo "copier: your file was not adopted: \`make init\` refused it or stopped (why is above)."
    echo "  copier makes and commits the project all the same, with dataset '$selected' selected."
    echo "  Fix what init says (the file, or TARGET / BATCH / BY / POSITIVE), then run in the project:"
    printf '    '
    printf '%q ' "${init[@]}"
    echo
    printf '    '
    printf '%q ' python3 scripts/adopt.py "$@"
    echo "  # the model's name"
    echo "    git add -A && git commit -m 'Start from my own file'"
} >&2
