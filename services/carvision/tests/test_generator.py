from carvision.data import CONTRACT, HEADER, generate


def test_header_is_the_vehicles_us_header() -> None:
    assert tuple(generate(100, 1).columns) == HEADER == CONTRACT.header
    assert CONTRACT.ignored_columns == ("date_posted", "days_listed")


def test_same_seed_same_data() -> None:
    assert generate(500, 3).equals(generate(500, 3))


def test_reproduces_the_mess_of_the_real_file() -> None:
    frame = generate(30_000, 2)
    missing = frame.isna().mean()
    for column, share in {"model_year": 0.07, "cylinders": 0.10, "odometer": 0.15,
                          "paint_color": 0.18}.items():  # fmt: skip
        assert abs(missing[column] - share) < 0.02, column
    assert set(frame["is_4wd"].dropna()) == {1.0}  # the real file leaves non-4WD empty
    assert (frame["price"] < 100).mean() > 0.005  # 1-USD style placeholders
    assert frame["price"].max() > 200_000  # fantasy asking prices
    assert frame["model"].str.islower().all()
    assert frame["date_posted"].str.match(r"^201[89]-\d\d-\d\d$").all()


def test_newer_and_lower_mileage_cars_cost_more_in_the_raw_data() -> None:
    frame = generate(30_000, 4)
    clean = frame[(frame["price"] > 500) & (frame["price"] < 200_000)]
    by_year = clean.dropna(subset=["model_year"]).groupby(clean["model_year"] >= 2014)["price"]
    assert by_year.median()[True] > 1.5 * by_year.median()[False]
    recent = clean[clean["model_year"].between(2010, 2013)].dropna(subset=["odometer"])
    low_miles = recent["odometer"] < recent["odometer"].median()
    assert recent[low_miles]["price"].median() > recent[~low_miles]["price"].median()
