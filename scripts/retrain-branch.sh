#!/usr/bin/env bash
# Commit what a retrain changed (dvc.lock; data and models went to the DVC remote) on a
# branch of its own and push it. Pushes with GITHUB_TOKEN start no workflow, so no loop.
#   scripts/retrain-branch.sh retrain/main
set -euo pipefail
branch=$1
git switch --force-create "$branch"
git add dvc.lock params.yaml models/champion.dvc
if git diff --cached --quiet; then
    echo "retrain changed nothing in dvc.lock: no branch pushed"
    exit 0
fi
git -c user.name="github-actions[bot]" \
    -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
    commit --quiet --message "Retrain: dvc.lock after new data or config"
# On GitHub, push over HTTPS with the job's token (checkout kept no credentials); elsewhere
# (act, a local run) push to origin.
if [ -n "${GH_TOKEN:-}" ] && [ -n "${GITHUB_REPOSITORY:-}" ] && [ "${ACT:-}" != "true" ]; then
    target="https://x-access-token:${GH_TOKEN}@${GITHUB_SERVER_URL#https://}/${GITHUB_REPOSITORY}.git"
else
    target=origin
fi
git push --force --quiet "$target" "HEAD:refs/heads/$branch"
echo "pushed $branch"
