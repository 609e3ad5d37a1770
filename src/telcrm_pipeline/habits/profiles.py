"""Customer usage profiles: k-means on standardised per-customer features.

Grain of the input: one row per customer (for example one month of
``customer_month_usage``). Each chosen column is transformed, then standardised:

* columns that never go below zero and exceed 1 somewhere (counts, minutes, MiB,
  charges: heavy-tailed) take ``log1p`` first, so a few very heavy users do not
  dominate the distances;
* other columns (shares between 0 and 1, columns with negative values such as trends)
  are used as they are;
* then ``StandardScaler``: every column has mean 0 and standard deviation 1.

Missing values count as 0. Clusters are numbered by size, largest first (ties by the
k-means order), so cluster 0 is always the biggest group.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

__all__ = [
    "COLUMNS_ZH",
    "K_RANGE",
    "MIN_DISTANCE_SD",
    "PHRASES",
    "PHRASES_ZH",
    "SILHOUETTE_SAMPLE",
    "TYPICAL_USAGE",
    "TYPICAL_USAGE_ZH",
    "Profiles",
    "description_zh",
    "fit_profiles",
]

K_RANGE = range(3, 9)  # candidate numbers of clusters when k is not given
SILHOUETTE_SAMPLE = 5000  # rows the silhouette is computed on (a seeded sample)
MIN_DISTANCE_SD = 0.5  # a column enters a description from this distance (in sd)
MAX_PHRASES = 3  # at most this many columns per description

# Readable phrases for the usual usage columns: (above the average, below it).
PHRASES: dict[str, tuple[str, str]] = {
    "voice_minutes": ("long talkers", "few calls"),
    "voice_calls": ("frequent callers", "few calls"),
    "data_mb": ("heavy data users", "little data"),
    "data_sessions": ("frequent data sessions", "few data sessions"),
    "sms_sent": ("SMS senders", "few SMS"),
    "night_share": ("night owls", "rarely active at night"),
    "evening_share": ("evening callers", "rarely active in the evening"),
    "weekend_share": ("weekend callers", "mostly weekday activity"),
    "roaming_events": ("travellers (roaming)", "little roaming"),
    "international_minutes": ("international callers", "few international calls"),
    "long_distance_minutes": ("long-distance callers", "few long-distance calls"),
    "local_minutes": ("local callers", "few local calls"),
    "usage_charge": ("high spenders", "low spenders"),
    "distinct_contacts": ("wide circle of contacts", "few contacts"),
    "active_days": ("active most days", "active on few days"),
    "lines_active": ("several lines", "fewer lines"),
}
# The same phrases in Chinese, and the columns' names, for ``description_zh``.
PHRASES_ZH: dict[str, tuple[str, str]] = {
    "voice_minutes": ("通话时长长", "通话少"),
    "voice_calls": ("通话频繁", "通话少"),
    "data_mb": ("流量大户", "流量少"),
    "data_sessions": ("上网频繁", "上网次数少"),
    "sms_sent": ("短信发送多", "短信少"),
    "night_share": ("夜间活跃", "夜间很少使用"),
    "evening_share": ("晚间通话多", "晚间很少使用"),
    "weekend_share": ("周末通话多", "主要在工作日使用"),
    "roaming_events": ("常出行（漫游）", "漫游少"),
    "international_minutes": ("国际通话多", "国际通话少"),
    "long_distance_minutes": ("长途通话多", "长途通话少"),
    "local_minutes": ("本地通话多", "本地通话少"),
    "usage_charge": ("高消费", "低消费"),
    "distinct_contacts": ("联系人广", "联系人少"),
    "active_days": ("大多数日子活跃", "活跃天数少"),
    "lines_active": ("多条号码", "号码较少"),
}
COLUMNS_ZH: dict[str, str] = {
    "voice_minutes": "通话分钟数",
    "voice_calls": "通话次数",
    "data_mb": "流量（MB）",
    "data_sessions": "上网次数",
    "sms_sent": "发送短信数",
    "night_share": "夜间占比",
    "evening_share": "晚间占比",
    "weekend_share": "周末占比",
    "roaming_events": "漫游次数",
    "international_minutes": "国际通话分钟数",
    "long_distance_minutes": "长途通话分钟数",
    "local_minutes": "本地通话分钟数",
    "usage_charge": "使用费用",
    "distinct_contacts": "联系人数",
    "active_days": "活跃天数",
    "lines_active": "在用号码数",
}
TYPICAL_USAGE = "typical usage (every column close to the average)"
TYPICAL_USAGE_ZH = "用量平常（各项均接近平均值）"
# One phrase of a description: "<label> (<column> 1.8x the average)" or
# "<label> (<column> -0.7 sd from the average)"; phrases are joined by ", ".
_PHRASE = re.compile(
    r"(?P<label>.+) \((?P<name>[a-z0-9_]+) "
    r"(?:(?P<ratio>\d+\.\d)x the average|(?P<sd>[+-]\d+\.\d) sd from the average)\)"
)


@dataclass
class Profiles:
    """A fitted profiling: transform, scaler, k-means and the training labels."""

    columns: tuple[str, ...]
    log_columns: tuple[str, ...]
    scaler: StandardScaler
    model: KMeans
    labels: pd.Series  # cluster per customer (index: the customer identifiers)
    silhouettes: dict[int, float]  # silhouette per candidate k (empty if k was given)
    order: np.ndarray  # order[kmeans label] = published cluster number
    training: pd.DataFrame  # the raw training columns, for describe()

    @property
    def k(self) -> int:
        return int(self.model.n_clusters)

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        """The standardised matrix k-means works on."""
        return self.scaler.transform(
            _transformed(features, self.columns, self.log_columns)
        )

    def assign(
        self, features: pd.DataFrame, *, customer: str = "customer"
    ) -> pd.Series:
        """The cluster of each row of ``features`` (same columns as in training)."""
        raw = self.model.predict(self.transform(features))
        return pd.Series(
            self.order[raw], index=_identifiers(features, customer), name="cluster"
        )

    def describe(self) -> pd.DataFrame:
        """One row per cluster: size, share, each column's mean, a description."""
        transformed = _transformed(self.training, self.columns, self.log_columns)
        scaled = pd.DataFrame(
            self.scaler.transform(transformed), columns=list(self.columns)
        )
        labels = self.labels.to_numpy()
        overall = self._typical(transformed.mean())
        rows = []
        for cluster in range(self.k):
            members = labels == cluster
            means = self.training[members].mean()
            distance = scaled[members].mean()  # in standard deviations
            typical = self._typical(transformed[members].mean())
            row: dict[str, object] = {
                "cluster": cluster,
                "size": int(members.sum()),
                "share": float(members.mean()),
            }
            row.update({name: float(means[name]) for name in self.columns})
            row["description"] = _description(distance, typical, overall)
            rows.append(row)
        return pd.DataFrame(rows)

    def _typical(self, transformed_means: pd.Series) -> pd.Series:
        """Back from the transformed scale: the log-average (expm1 of the mean of
        log1p) for log columns, the plain mean for the others."""
        typical = transformed_means.astype("float64").copy()
        for name in self.log_columns:
            typical[name] = float(np.expm1(typical[name]))
        return typical


def fit_profiles(
    features: pd.DataFrame,
    *,
    columns: Sequence[str],
    k: int | None = None,
    seed: int = 0,
    customer: str = "customer",
) -> Profiles:
    """Cluster customers on ``columns``; choose k by silhouette over 3..8 if not given.

    ``customer`` names the identifier column (the index is used when it is absent).
    """
    columns = tuple(columns)
    if not columns:
        raise ValueError("columns: give at least one feature column")
    missing = [name for name in columns if name not in features.columns]
    if missing:
        raise ValueError(f"columns not in the table: {', '.join(missing)}")
    raw = features[list(columns)].astype("float64").fillna(0.0)
    log_columns = tuple(
        name for name in columns if raw[name].min() >= 0 and raw[name].max() > 1
    )
    scaler = StandardScaler().fit(_transformed(raw, columns, log_columns))
    matrix = scaler.transform(_transformed(raw, columns, log_columns))
    silhouettes: dict[int, float] = {}
    if k is None:
        candidates = [c for c in K_RANGE if c < len(raw)]
        if not candidates:
            raise ValueError(f"too few rows ({len(raw)}) to choose k in 3..8")
        for candidate in candidates:
            labels = _kmeans(candidate, seed).fit_predict(matrix)
            if len(set(labels)) < 2:
                silhouettes[candidate] = -1.0
                continue
            silhouettes[candidate] = float(
                silhouette_score(
                    matrix,
                    labels,
                    sample_size=min(SILHOUETTE_SAMPLE, len(raw)),
                    random_state=seed,
                )
            )
        k = max(silhouettes, key=lambda c: (silhouettes[c], -c))
    if not 1 <= k <= len(raw):
        raise ValueError(f"k={k}: needs 1 <= k <= number of rows ({len(raw)})")
    model = _kmeans(k, seed).fit(matrix)
    raw_labels = np.asarray(model.labels_)
    sizes = np.bincount(raw_labels, minlength=k)
    ranking = sorted(range(k), key=lambda c: (-sizes[c], c))
    order = np.empty(k, dtype=np.int64)
    order[ranking] = np.arange(k)
    labels_series = pd.Series(
        order[raw_labels], index=_identifiers(features, customer), name="cluster"
    )
    return Profiles(
        columns=columns,
        log_columns=log_columns,
        scaler=scaler,
        model=model,
        labels=labels_series,
        silhouettes=silhouettes,
        order=order,
        training=raw.reset_index(drop=True),
    )


def _kmeans(k: int, seed: int) -> KMeans:
    return KMeans(n_clusters=k, n_init=10, random_state=seed)


def _identifiers(features: pd.DataFrame, customer: str) -> pd.Index:
    if customer in features.columns:
        return pd.Index(features[customer].to_numpy(), name=customer)
    return features.index


def _transformed(
    features: pd.DataFrame, columns: tuple[str, ...], log_columns: tuple[str, ...]
) -> pd.DataFrame:
    frame = features[list(columns)].astype("float64").fillna(0.0)
    for name in log_columns:
        frame[name] = np.log1p(frame[name].clip(lower=0.0))
    return frame


def _description(distance: pd.Series, typical: pd.Series, overall: pd.Series) -> str:
    """Plain phrases for the columns furthest from the average (in sd).

    The ratio compares the cluster's typical value with the whole population's on
    the scale the clustering used (log-averages for counts), so a ratio above 1
    always goes with a "high" phrase and below 1 with a "low" one.
    """
    ranked = sorted(distance.index, key=lambda name: (-abs(distance[name]), name))
    phrases = []
    for name in ranked[:MAX_PHRASES]:
        value = float(distance[name])
        if abs(value) < MIN_DISTANCE_SD:
            break
        high, low = _phrases(name)
        label = high if value > 0 else low
        if overall[name] > 0 and typical[name] >= 0:
            detail = f"{name} {typical[name] / overall[name]:.1f}x the average"
        else:
            detail = f"{name} {value:+.1f} sd from the average"
        phrases.append(f"{label} ({detail})")
    if not phrases:
        return TYPICAL_USAGE
    return ", ".join(phrases)


def _phrases(name: str) -> tuple[str, str]:
    return PHRASES.get(name, (f"high {name}", f"low {name}"))


def description_zh(description: str) -> str | None:
    """A description written by ``Profiles.describe`` in Chinese, or None when the
    text is not one it writes.

    The stored description is English only; each phrase is keyed back to its
    column and direction through ``PHRASES`` (the column name is in the phrase),
    so no free text is translated.
    """
    if description == TYPICAL_USAGE:
        return TYPICAL_USAGE_ZH
    phrases = []
    for part in description.split(", "):
        found = _PHRASE.fullmatch(part)
        if found is None:
            return None
        name = found["name"]
        high, low = _phrases(name)
        if found["label"] not in (high, low):
            return None
        column = COLUMNS_ZH.get(name, name)
        high_zh, low_zh = PHRASES_ZH.get(name, (f"{column}偏高", f"{column}偏低"))
        label = high_zh if found["label"] == high else low_zh
        if found["ratio"] is not None:
            detail = f"{column}为平均值的 {found['ratio']} 倍"
        else:
            detail = f"{column}偏离平均值 {found['sd']} 个标准差"
        phrases.append(f"{label}（{detail}）")
    return "，".join(phrases)
