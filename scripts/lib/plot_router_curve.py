#!/usr/bin/env python3
"""Draws the RouteLLM-style cost/quality trade-off from RouterEval's --json output.

x: estimated cost relative to always-premium; y: mean catalog quality relative to always-premium.
Each curve shifts every quality floor of the policy (defaults and rules) from -0.60 to +0.15; the
marked points are the policy as committed. The shaded corner is the issue's target (>= 60 % saved,
>= 95 % of premium quality).
  plot_router_curve.py RESULTS.json OUT.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    results = json.load(open(sys.argv[1]))
    fig, ax = plt.subplots(figsize=(7, 5), dpi=120)
    ax.add_patch(plt.Rectangle((0, 95), 40, 10, color="#2a9d8f", alpha=0.12, label="target: ≥60% saved, ≥95% quality"))
    styles = {"learned": ("#e76f51", "learned classifier"), "labels": ("#264653", "true labels (oracle)")}
    for name, (color, label) in styles.items():
        points = sorted((p for p in results["curve"] if p["classifier"] == name), key=lambda p: p["floor_shift"])
        xs = [100 * p["cost_ratio"] for p in points]
        ys = [100 * p["quality_ratio"] for p in points]
        ax.plot(xs, ys, "-o", color=color, markersize=3, label=f"{label}, floors shifted")
    for row in results["results"]:
        name = {"learned": "learned", "labels (oracle)": "labels", "heuristic": "heuristic"}.get(row["classifier"])
        if name is None:
            continue
        color = styles.get(name, ("#8d99ae", ""))[0]
        x, y = 100 * (1 - row["cost_saved"]), 100 * row["quality_ratio"]
        ax.plot([x], [y], marker="*", markersize=14, color=color, markeredgecolor="black", linestyle="none")
        ax.annotate(f"{row['classifier']} (policy)", (x, y), textcoords="offset points", xytext=(6, -12), fontsize=8)
    ax.plot([100], [100], marker="s", color="black", linestyle="none")
    ax.annotate("always-premium", (100, 100), textcoords="offset points", xytext=(-80, 6), fontsize=8)
    ax.set_xlabel("estimated cost, % of always-premium")
    ax.set_ylabel("mean catalog quality, % of always-premium")
    ax.set_title(f"Router cost/quality on {results['split']} ({results['cases']} prompts), "
                 f"{results['classifier_version']}", fontsize=10)
    ax.set_xlim(0, 105)
    ax.set_ylim(min(80, ax.get_ylim()[0]), 102)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(sys.argv[2])


if __name__ == "__main__":
    main()
