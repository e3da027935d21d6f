"""Just enough PromQL reading to list the metric names an expression queries."""

import re

_FUNCTIONS = {
    "abs", "absent", "absent_over_time", "avg", "avg_over_time", "bottomk", "ceil", "changes",
    "clamp", "clamp_max", "clamp_min", "count", "count_over_time", "delta", "deriv", "exp",
    "floor", "group", "histogram_quantile", "idelta", "increase", "irate", "label_join",
    "label_replace", "ln", "log2", "log10", "max", "max_over_time", "min", "min_over_time",
    "predict_linear", "quantile", "quantile_over_time", "rate", "resets", "round", "scalar",
    "sort", "sort_desc", "sqrt", "stddev", "stdvar", "sum", "sum_over_time", "time", "topk",
    "vector", "last_over_time", "present_over_time",
}  # fmt: skip
_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
             "group_right", "bool", "offset"}  # fmt: skip
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")


def metric_names(expr: str) -> set[str]:
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors
    text = _GROUPING.sub("", text)  # grouping label lists
    text = re.sub(r"\$\{?\w+\}?", "", text)  # Grafana variables
    names = set(re.findall(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)", text))
    return {n for n in names if n not in _FUNCTIONS and n not in _KEYWORDS and not n.isdigit()}
