"""Lab: batch inference: score a whole file at once (reference solution)."""

import csv
import sys

from serve import MODEL, predict


def main(src, dst):
    with open(src, newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(dst, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["house_id", "prediction"])
        for row in rows:
            writer.writerow([row["house_id"], predict(MODEL, row)])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
