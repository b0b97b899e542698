"""Lab: the tests a CI run uses to stop a bad change before it ships (reference solution)."""

from features import hour_bucket, load_trips, speed_kmh

TRIPS = "data/trips.csv"


def test_hour_bucket_in_the_middle_of_each_part():
    assert hour_bucket(3) == "night"
    assert hour_bucket(9) == "morning"
    assert hour_bucket(15) == "afternoon"
    assert hour_bucket(21) == "evening"


def test_hour_bucket_boundaries():
    assert hour_bucket(0) == "night"
    assert hour_bucket(5) == "night"
    assert hour_bucket(6) == "morning"
    assert hour_bucket(11) == "morning"
    assert hour_bucket(12) == "afternoon"
    assert hour_bucket(17) == "afternoon"
    assert hour_bucket(18) == "evening"
    assert hour_bucket(23) == "evening"


def test_speed_unit():
    assert abs(speed_kmh(30, 30) - 60) < 1e-9
    assert abs(speed_kmh(10, 60) - 10) < 1e-9


def test_data_has_no_missing_values_and_sane_ranges():
    trips = load_trips(TRIPS)
    assert len(trips) > 0
    for trip in trips:
        assert trip["distance_km"] is not None and trip["duration_min"] is not None, trip
        assert 0 < trip["distance_km"] < 200, trip
        assert 0 < trip["duration_min"] < 600, trip
        assert 0 <= trip["pickup_hour"] <= 23, trip
