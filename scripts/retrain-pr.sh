#!/usr/bin/env bash
# Open the retrain pull request if none is open for the branch, then keep exactly one report
# comment on it: found by its first line, edited in place on every retrain.
#   scripts/retrain-pr.sh retrain/main reports/retrain.md
set -euo pipefail
branch=$1
body=$2
marker=$(head -n 1 "$body")
base=${BASE_BRANCH:-main}
number=$(gh pr list --head "$branch" --state open --json number --jq '.[0].number')
if [ -z "$number" ]; then
    gh pr create --base "$base" --head "$branch" \
        --title "Retrain on new data ($(date -u +%Y-%m-%d))" \
        --body "Opened by the retrain workflow. The report is in the comment below."
    number=$(gh pr list --head "$branch" --state open --json number --jq '.[0].number')
fi
comment=$(gh api "repos/${GITHUB_REPOSITORY}/issues/${number}/comments" --paginate \
    --jq ".[] | select(.body | startswith(\"${marker}\")) | .id" | head -n 1)
if [ -n "$comment" ]; then
    gh api --method PATCH "repos/${GITHUB_REPOSITORY}/issues/comments/${comment}" -F "body=@${body}" > /dev/null
    echo "updated the report comment on #${number}"
else
    gh pr comment "$number" --body-file "$body"
    echo "commented on #${number}"
fi
