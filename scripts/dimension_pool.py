"""Draw the messages of the service-dimension labelling set and write labelling packets.

The set (see models/feedback_dimension_guidelines.md) is
- the 325 附件4 messages labelled first (``sample(340, random_state=0)``, first 325),
- 600 further 附件4 messages: ``sample(600, random_state=1)`` of those not in that draw,
- the 140 English messages of govperf_ml/data/feedback_eval_en.csv.

Usage: python scripts/dimension_pool.py TEDDY_DIR OUT_DIR --packets A:2 B:3
writes OUT_DIR/pool.csv (message_id, source, text) and one text packet per annotator
share (OUT_DIR/A1.txt, …). Texts are written to OUT_DIR only, never into the repository.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from govperf_ml.bench.feedback import clean_text

ROOT = Path(__file__).resolve().parents[1]
FIRST_LABELS = ROOT / "govperf_ml" / "data" / "feedback_dimension_labels.csv"
ENGLISH = ROOT / "govperf_ml" / "data" / "feedback_eval_en.csv"


def pool(teddy: Path) -> pd.DataFrame:
    a4 = pd.read_csv(Path(teddy) / "附件4_messages_with_replies_2816.csv")
    a4["message_id"] = a4["留言编号"].astype(str)
    a4["text"] = "【" + clean_text(a4["留言主题"].fillna("")) + "】" + clean_text(a4["留言详情"].fillna(""))
    first = a4.sample(340, random_state=0)
    rest = a4.drop(first.index).sample(600, random_state=1)
    labelled = pd.read_csv(FIRST_LABELS, dtype=str)
    first_ids = labelled.loc[labelled["source"] == "a4_first", "message_id"]
    first = a4.set_index("message_id").loc[first_ids].reset_index()
    en = pd.read_csv(ENGLISH, dtype=str)
    return pd.concat([
        first.assign(source="a4_first")[["message_id", "source", "text"]],
        rest.assign(source="a4_more")[["message_id", "source", "text"]],
        en.assign(source="english")[["message_id", "source", "text"]],
    ], ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("teddy", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--packets", nargs="*", default=["A:2", "B:3"],
                    help="PASS:N — pass A covers the messages not labelled yet, pass B all of them")
    ap.add_argument("--chars", type=int, default=500, help="characters of each text in a packet")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    p = pool(a.teddy)
    p.to_csv(a.out / "pool.csv", index=False)
    for spec in a.packets:
        name, n = spec.split(":")
        todo = p if name != "A" else p[p["source"] != "a4_first"]
        for i in range(int(n)):
            part = todo.iloc[i::int(n)]
            with open(a.out / f"{name}{i + 1}.txt", "w", encoding="utf-8") as fh:
                for r in part.itertuples():
                    fh.write(f"### {r.message_id}\n{r.text[:a.chars]}\n\n")
            print(f"{name}{i + 1}: {len(part)} messages")


if __name__ == "__main__":
    main()
