from telecom.data import CONTRACT, HEADER, generate


def test_header_is_the_users_behavior_header() -> None:
    assert tuple(generate(100, 1).columns) == HEADER == CONTRACT.header
    assert CONTRACT.ignored_columns == ()


def test_same_seed_same_data() -> None:
    assert generate(500, 3).equals(generate(500, 3))


def test_realistic_ranges_and_ultra_share() -> None:
    frame = generate(20_000, 8)
    assert 0.27 <= frame["is_ultra"].mean() <= 0.34
    assert frame["calls"].between(0, 244).all() and frame["mb_used"].between(0, 49_745).all()
    assert (frame["calls"] % 1 == 0).all()  # whole counts stored as floats, as in the real file
    assert (frame["messages"] == 0).mean() > 0.1


def test_heavy_data_users_choose_ultra_more_in_the_raw_data() -> None:
    frame = generate(20_000, 9)
    heavy = frame["mb_used"] > 15_360
    assert frame[heavy]["is_ultra"].mean() > frame[~heavy]["is_ultra"].mean() + 0.2
