#!/usr/bin/env bash
# Open one issue labelled drift-alert with the gate's output, unless one is already open.
#   scripts/drift-alert.sh reports/check.txt
set -euo pipefail
report=$1
open=$(gh issue list --label drift-alert --state open --json number --jq '.[0].number')
if [ -n "$open" ]; then
    echo "drift-alert #${open} is already open: not opening another"
    exit 0
fi
gh label create drift-alert --color B60205 --description "The monitoring gate failed" 2> /dev/null || true
{
    echo "The scheduled drift check failed on $(date -u +%Y-%m-%d)."
    echo
    echo '```'
    cat "$report"
    echo '```'
    echo
    echo "Reproduce: \`make pull run check\`. Retrain: run the retrain workflow."
} > reports/drift-alert.md
gh issue create --label drift-alert --title "Drift alert: the monitoring gate failed" \
    --body-file reports/drift-alert.md
