"""How sure a champion-against-challenger comparison is.

A point difference (ROC AUC 0.781 against 0.779) may be noise. Two measures say how much:
- a paired bootstrap of the primary metric: each resample draws the rows with replacement
  once and scores both models on those same rows, so the interval is of the difference on
  the same rows, not of two independent scores. Seeded: a rerun gives the same interval.
- McNemar's test (classification): of the rows exactly one model labels right, is the split
  between the two models more uneven than chance? An exact binomial test on those rows.

A resample is a row weight (how many times the row was drawn), so each metric is computed
weighted, for all resamples at once, instead of copying rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from pipeline.modeling.tasks import MULTICLASS, REGRESSION, TaskInfo

LEVEL = 0.95
RESAMPLES = 1000
CHUNK = 50  # resamples weighed at once: 50 x rows weights in memory


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class Confidence:
    """The challenger's primary metric minus the champion's, on the same rows, with its
    interval; `worse_by` is the same in the gate's units (a ROC AUC drop, or a relative RMSE
    rise): positive when the challenger is worse."""

    metric: str
    rows: int
    level: float
    resamples: int
    seed: int
    difference: Interval
    worse_by: Interval
    worse_by_unit: str
    mcnemar: dict | None  # champion_only, challenger_only (rows only it gets right), p_value

    def as_dict(self) -> dict:
        return asdict(self)


def paired_bootstrap(
    task: TaskInfo,
    labels: np.ndarray,
    champion: np.ndarray,
    challenger: np.ndarray,
    *,
    threshold: float,
    seed: int,
    resamples: int = RESAMPLES,
    level: float = LEVEL,
) -> Confidence | None:
    """The difference of both models' primary metric with its bootstrap interval, or None
    when it cannot be measured (no labelled rows, or a class absent from them)."""
    known = _labelled(labels)
    labels, champion, challenger = labels[known], champion[known], challenger[known]
    if task is REGRESSION:
        labels = labels.astype(float)
    else:
        labels = labels.astype(int)
        classes = champion.shape[1] if task is MULTICLASS else 2
        if len(np.unique(labels)) < classes:
            return None
    if len(labels) < 2:
        return None
    metric = _metric(task)
    full = np.ones((1, len(labels)))
    old, new = metric(labels, champion, full)[0], metric(labels, challenger, full)[0]
    rng = np.random.default_rng(seed)
    olds, news = [], []
    for start in range(0, resamples, CHUNK):
        weights = _resample_weights(rng, len(labels), min(CHUNK, resamples - start))
        olds.append(metric(labels, champion, weights))
        news.append(metric(labels, challenger, weights))
    old_draws, new_draws = np.concatenate(olds), np.concatenate(news)
    regression = task is REGRESSION
    return Confidence(
        metric=task.primary,
        rows=len(labels),
        level=level,
        resamples=resamples,
        seed=seed,
        difference=_interval(new - old, new_draws - old_draws, level),
        worse_by=_interval(
            *(
                (new / old - 1, new_draws / old_draws - 1)
                if regression
                else (old - new, old_draws - new_draws)
            ),
            level,
        ),
        worse_by_unit="relative RMSE rise" if regression else "ROC AUC drop",
        mcnemar=None if regression else mcnemar(task, labels, champion, challenger, threshold),
    )


def mcnemar(
    task: TaskInfo,
    labels: np.ndarray,
    champion: np.ndarray,
    challenger: np.ndarray,
    threshold: float,
) -> dict:
    """McNemar's exact test on the predicted labels: the rows only one model gets right."""
    from scipy.stats import binomtest

    def right(output: np.ndarray) -> np.ndarray:
        predicted = output.argmax(axis=1) if task is MULTICLASS else output >= threshold
        return predicted.astype(int) == labels

    old, new = right(champion), right(challenger)
    champion_only, challenger_only = int((old & ~new).sum()), int((new & ~old).sum())
    disagree = champion_only + challenger_only
    p_value = binomtest(champion_only, disagree, 0.5).pvalue if disagree else 1.0
    return {
        "champion_only": champion_only,
        "challenger_only": challenger_only,
        "p_value": round(float(p_value), 6),
    }


def weighted_roc_auc(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Binary ROC AUC per row of `weights` (resamples x rows): the weighted share of
    (positive, negative) pairs the scores order right, ties counting half."""
    order = np.argsort(scores, kind="stable")
    ranked, positive = scores[order], labels[order] == 1
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])  # groups of tied scores
    weighed = weights[:, order]
    positives = np.add.reduceat(weighed * positive, starts, axis=1)
    negatives = np.add.reduceat(weighed * ~positive, starts, axis=1)
    below = np.cumsum(negatives, axis=1) - negatives
    pairs = positives.sum(axis=1) * negatives.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (positives * (below + negatives / 2)).sum(axis=1) / pairs


def _metric(task: TaskInfo):
    if task is REGRESSION:
        return _weighted_rmse
    if task is MULTICLASS:
        return _weighted_ovr_roc_auc
    return weighted_roc_auc


def _weighted_rmse(labels: np.ndarray, predictions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    squared = (predictions.astype(float) - labels) ** 2
    return np.sqrt(weights @ squared / weights.sum(axis=1))


def _weighted_ovr_roc_auc(
    labels: np.ndarray, scores: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """One-vs-rest ROC AUC, macro-averaged over the classes (as scikit-learn's)."""
    per_class = [
        weighted_roc_auc((labels == code).astype(int), scores[:, code], weights)
        for code in range(scores.shape[1])
    ]
    return np.mean(per_class, axis=0)


def _resample_weights(rng: np.random.Generator, rows: int, count: int) -> np.ndarray:
    """How many times each row is drawn, per resample (count x rows)."""
    drawn = rng.integers(0, rows, size=(count, rows)) + np.arange(count)[:, None] * rows
    return np.bincount(drawn.ravel(), minlength=count * rows).reshape(count, rows).astype(float)


def _interval(estimate: float, draws: np.ndarray, level: float) -> Interval:
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(draws, [tail, 100 - tail])
    return Interval(round(float(estimate), 6), round(float(low), 6), round(float(high), 6))


def _labelled(labels: np.ndarray) -> np.ndarray:
    import pandas as pd

    return ~pd.isna(labels)
