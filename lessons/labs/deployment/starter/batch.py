"""Lab: batch inference: score a whole file at once, the way a nightly job does.

Run it:   python batch.py data/houses.csv predictions.csv
"""

import csv
import sys

from serve import MODEL, predict


def main(src, dst):
    # TODO 4: read every row of src (csv.DictReader), and write dst with the header
    #         house_id,prediction and one line per row, in the same order.
    raise NotImplementedError


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
