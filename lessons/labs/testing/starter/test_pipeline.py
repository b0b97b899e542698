"""Lab: the tests a CI run uses to stop a bad change before it ships.

Three kinds of tests, as in a real ML project:
- code tests: the feature functions give the right values, at the edges too;
- data tests: the data has the columns, types, ranges and no missing values;
- (model tests come later: behaviour and regression tests against the current model.)

Each test is a plain function whose name starts with `test`, and uses `assert`.
Run them yourself:  python -c "import test_pipeline as t; [f() for n, f in vars(t).items() if n.startswith('test')]"
Check them:         mlops-primer lab check testing

The check runs your tests on the good code and data (they must all pass), then on
copies with one bug planted in each. A good suite fails on every bug.
"""

from features import hour_bucket, load_trips, speed_kmh

TRIPS = "data/trips.csv"


def test_hour_bucket_in_the_middle_of_each_part():
    # An example test: it passes on good code, but would it catch a bug at a boundary?
    assert hour_bucket(3) == "night"
    assert hour_bucket(9) == "morning"
    assert hour_bucket(15) == "afternoon"
    assert hour_bucket(21) == "evening"


def test_hour_bucket_boundaries():
    # TODO 1: test the hours where one part of the day ends and the next begins.
    pass


def test_speed_unit():
    # TODO 2: a trip whose answer you know by heart (say 30 km in 30 minutes).
    pass


def test_data_has_no_missing_values_and_sane_ranges():
    trips = load_trips(TRIPS)
    assert len(trips) > 0
    # TODO 3: every distance and duration is present (not None) and within a range
    #         that a taxi trip can have.
