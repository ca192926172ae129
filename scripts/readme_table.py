"""Print the README's results table from a run folder's metrics.json (no number typed by hand).

Usage: python scripts/readme_table.py experiments/runs/<run>
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def cell(value: Any, ci: Any = None) -> str:
    if value is None:
        return "–"
    text = f"{value:.2f}"
    if ci and ci[0] is not None:
        text += f" [{ci[0]:.2f}, {ci[1]:.2f}]"
    return text


def row(name: str, model: dict[str, Any]) -> str:
    ev = model["eval"]
    un = ev["un_test"]
    stance = un.get("stance", {})
    cells = [
        f"`{name}`",
        f"{model['train_seconds']:.0f} s",
        cell(model["dev"]["macro_f1"]),
        cell(un["frames"]["macro_f1"], un["frames"].get("macro_f1_ci")),
        *(
            cell(stance[t]["f1_favor_against"], stance[t].get("f1_favor_against_ci"))
            for t in ("russia", "the_west")
        ),
        *(cell(ev[s]["macro_f1"]) for s in ("news_test", "news_real", "un_random") if s in ev),
    ]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    run = Path(sys.argv[1])
    metrics = json.loads((run / "metrics.json").read_text())
    sets = [
        s
        for s in ("news_test", "news_real", "un_random")
        if s in next(iter(metrics["models"].values()))["eval"]
    ]
    header = [
        "model",
        "train time",
        "dev",
        "UN test: frames macro-F1",
        "UN test: russia F_avg",
        "UN test: the_west F_avg",
        *sets,
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, model in metrics["models"].items():
        print(row(name, model))
    print(f"\nbest on dev ({metrics['select_on']}): {metrics['best_model']}")


if __name__ == "__main__":
    main()
