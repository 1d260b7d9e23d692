"""The number mode's core: splitting strokes into digits with the recogniser's
help, reading each through the phone's path, the verdict for the whole, and
the number files and their measure."""

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.render import render_strokes
from model.errors import DataError
from model.recipe.number_drawings import build_numbers
from model.runtime.engines import load_engine, predict_bitmaps
from model.runtime.numbers import NUMBER_CANVAS, on_number_canvas, placed, read_number
from model.runtime.strokes import CANVAS_SIZE, parse_drawing_text, parse_number_text
from model.runtime.verdict import DIGIT, NOT_A_DIGIT, UNSURE
from tests.conftest import run_script, shared_file
from tests.fuzz import FUZZ


@pytest.fixture(scope="module")
def engine():
    return load_engine("coreml")


def reader(engine, pipeline="phone"):
    return lambda digits: predict_bitmaps(engine, [render_strokes(d) for d in digits], pipeline)


def number_of(drawings, seed, count=1):
    return [parse_number_text(json.dumps(record), "built") for record in
            build_numbers(drawings, count, np.random.default_rng(seed))]


def test_a_digit_is_read_in_the_number_as_the_phone_reads_it_alone(engine, drawings):
    """Each mark is placed on the phone's canvas at the writer's size, centred, and read through the pipeline:
    its answer is the one the digit screen gives for that drawing placed so."""
    number = number_of(drawings, 3)[0]
    strokes = on_number_canvas(number)
    reading = read_number(strokes, reader(engine))
    for mark, prediction in zip(reading.marks, reading.predictions, strict=True):
        alone = predict_bitmaps(engine, [render_strokes(placed([strokes[i] for i in mark.strokes]))], "phone")[0]
        assert np.allclose(prediction.probabilities, alone.probabilities, atol=1e-6)
        left, top, right, bottom = mark.box
        assert 0 <= left < right <= NUMBER_CANVAS[0] and 0 <= top < bottom <= NUMBER_CANVAS[1]


def test_placing_keeps_the_writers_size_and_centres_the_digit():
    stroke = [[(900.0, 100.0), (940.0, 300.0)]]
    moved = placed(stroke)
    (x0, y0), (x1, y1) = moved[0]
    assert (x1 - x0, y1 - y0) == pytest.approx((40.0, 200.0))
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx((CANVAS_SIZE / 2, CANVAS_SIZE / 2))


def test_strokes_of_one_digit_are_one_mark_and_digits_that_touch_are_two(engine):
    four = [[(100.0, 100.0), (70.0, 220.0), (160.0, 220.0)], [(140.0, 110.0), (140.0, 300.0)]]  # two strokes
    zero = [[(250.0, 100.0), (200.0, 200.0), (250.0, 300.0), (300.0, 200.0), (250.0, 100.0)]]
    barred = [[(220.0, 260.0), (280.0, 140.0)]]  # a bar through the zero
    one = [[(318.0, 100.0), (318.0, 300.0)]]  # its ink touches the zero's
    reading = read_number(four + zero + barred + one, reader(engine))
    assert [m.strokes for m in reading.marks] == [(0, 1), (2, 3), (4,)]
    assert reading.text == "401"
    # The barred zero is read at 54 %: each digit likely, the three together not sure enough to say so.
    assert reading.kind == UNSURE and reading.verdict_text == "Not sure: 401 (each digit likely, all 3 together 53%)"


def test_built_numbers_by_other_writers_are_split_and_read(engine, drawings):
    """Numbers of the shared sample's writers (never trained on): their digits split as they were drawn."""
    from model.recipe.measure import NumberTally

    tally = NumberTally()
    for record in build_numbers(drawings, 25, np.random.default_rng(11)):
        number = parse_number_text(json.dumps(record), "built")
        tally.add(number, record["digits"], record["gaps"], read_number(on_number_canvas(number), reader(engine)))
    figures = tally.figures()
    assert figures["digits_split_right"] >= 0.95 and figures["number_read_right"] >= 0.7, figures


def test_a_letter_among_the_digits_is_no_number_read_surely(engine, drawings):
    from model.runtime.strokes import read_drawings

    letters = read_drawings(shared_file("unipen_letters_sample.jsonl.gz"))[:40]
    records = build_numbers(drawings, 40, np.random.default_rng(5), marks=letters)
    surely = 0
    for record in records:
        assert "label" not in record and record["marks_at"]
        number = parse_number_text(json.dumps(record), "built")
        surely += read_number(on_number_canvas(number), reader(engine)).kind == DIGIT
    assert surely <= 4  # read as a number with every digit sure: rarely


def test_the_verdict_names_the_unsure_digit_and_the_mark_that_is_none():
    from model.runtime.engines import Prediction
    from model.runtime.numbers import Mark, NumberReading
    from model.runtime.verdict import judge

    def said(*probabilities):
        p = np.zeros(10)
        for digit, value in probabilities:
            p[digit] = value
        return Prediction(np.zeros((28, 28)), p, judge(p, 0.4))

    mark = Mark((0,), (0, 0, 1, 1))
    unsure = NumberReading([mark] * 4, [said((2, 0.9)), said((0, 0.95)), said((2, 0.5), (7, 0.45)), said((6, 0.9))])
    assert unsure.text == "2026" and unsure.verdict_text == "Not sure: 20?6 (2 or 7)"
    likely = NumberReading([mark] * 4, [said((2, 0.8)), said((0, 0.8)), said((2, 0.8)), said((6, 0.8))])
    assert likely.kind == UNSURE and likely.verdict_text == "Not sure: 2026 (each digit likely, all 4 together 41%)"
    sure = NumberReading([mark] * 4, [said((2, 0.95)), said((0, 0.95)), said((2, 0.95)), said((6, 0.95))])
    assert sure.kind == DIGIT and sure.verdict_text == "2026"  # 0.95 ** 4 = 0.81
    assert NumberReading([mark] * 4, [said((2, 0.9))] * 4).kind == UNSURE  # 0.9 ** 4 = 0.66: each likely, not all
    none = NumberReading([mark] * 3, [said((1, 0.9)), said((8, 0.2), (3, 0.1)), said((6, 0.9))])
    assert none.kind == NOT_A_DIGIT and none.verdict_text == "Not a number: mark 2 of 3 is no digit"
    assert NumberReading([], []).verdict_text == "Nothing drawn"
    # Every reason is named: an unsure digit and 1s leaning apart, as a flagged 1 beside an X's strokes may be.
    upright, left, right = Mark((0,), (0, 0, 1, 1), 0.0), Mark((1,), (0, 0, 1, 1), -25.0), Mark((2,), (0, 0, 1, 1), 25.0)
    both = NumberReading([upright, left, right, mark], [said((1, 0.5), (7, 0.45))] + [said((1, 0.99))] * 3)
    assert both.verdict_text == "Not sure: ?111 (1 or 7; its 1s lean different ways)"
    weak = NumberReading([left, right, mark], [said((1, 0.8))] * 3)
    assert weak.verdict_text == "Not sure: 111 (each digit likely, all 3 together 51%; its 1s lean different ways)"


def straight(top: tuple[float, float], bottom: tuple[float, float], points: int = 30) -> list[tuple[float, float]]:
    return [(top[0] + (bottom[0] - top[0]) * i / points, top[1] + (bottom[1] - top[1]) * i / points)
            for i in range(points + 1)]


def test_a_pen_paths_lean_is_its_axis_from_upright_however_its_points_crowd():
    from model.runtime.numbers import apart, lean

    assert lean([straight((50, 0), (50, 200))]) == pytest.approx(0)
    assert lean([straight((0, 0), (100, 100))]) == pytest.approx(45)  # "\"
    assert lean([straight((100, 0), (0, 100))]) == pytest.approx(-45)  # "/"
    assert lean([straight((0, 50), (200, 50))]) == pytest.approx(-90) or lean([straight((0, 50), (200, 50))]) == \
        pytest.approx(90)
    assert lean([[(5.0, 5.0)]]) is None and lean([[(5.0, 5.0), (5.0, 5.0)]]) is None
    # A stroke's slow end (many points) weighs no more than its fast one: an upright stem with a short flag.
    stem = straight((50, 0), (50, 200), points=10)
    flag = straight((50, 0), (30, 20), points=200)
    assert abs(lean([flag[::-1] + stem])) < 10
    assert apart(89, -89) == pytest.approx(2) and apart(10, -15) == pytest.approx(25)


def test_strokes_from_a_file_that_reach_far_off_the_canvas_are_read_without_an_error(engine):
    """A lean is measured in a few thousand points however long a stroke is, and not at all past what floats
    hold: a file's stroke a million canvases long neither hangs the number mode nor fails it."""
    from model.runtime.numbers import lean

    assert lean([straight((100, 100), (100, 1e7))]) == pytest.approx(0)
    assert lean([[(-1e308, 100.0), (1e308, 100.0)]]) is None and lean([[(100.0, 100.0), (100.0, 1e300)]]) is None
    from model.runtime.numbers import joins

    zigzag = [(0.0, 100.0), (1e300, 105.0), (-1e308, 300.0), (1e308, 100.0)]  # no cut is looked for past floats
    assert joins(zigzag, 200.0) == joins([(0.0, 100.0), (1e9, 105.0), (2e9, 300.0), (3e9, 100.0)], 200.0) == []
    for strokes in ([[(100.0, 100.0), (100.0, 1e7)]], [[(100.0, 100.0), (100.0, 1e300)]],
                    [[(-1e308, 100.0), (1e308, 100.0)]], [[(200.0, 50.0), (200.0, 300.0)], [(400.0, 50.0), (400.0, 3e5)]],
                    [zigzag], [[(0.0, 100.0), (1e9, 105.0), (2e9, 300.0), (3e9, 100.0)]],
                    [[(0.0, 8.98846567431158e307)]],  # its ink's top and bottom add up past what floats hold
                    [[(0.0, 8.98846567431158e307)], straight((100, 100), (100, 300)), zigzag]):  # every prior overflows
        reading = read_number(strokes, reader(engine))
        assert sorted(reading.cut_from) == list(range(len(strokes)))
    for record in ({"canvas": [1, 1], "strokes": [[[0.0, 4.8e305]]]},  # scaled onto the number canvas: past floats
                   {"canvas": [1, 2001], "strokes": [[[0.0, 0.0], [0.0, 1e-9]]]}):  # a billionth of a pixel long
        number = parse_number_text(json.dumps(record), "number.json")
        assert read_number(on_number_canvas(number), reader(engine)).marks


def test_more_strokes_than_a_number_has_are_no_number_and_are_not_read():
    """A scribble of thousands of strokes would hold the app for seconds, each stroke read on its own."""
    from model.runtime.numbers import MOST_NUMBER_STROKES

    def read(digits):
        raise AssertionError("read")

    scribble = [[(float(i % 1400), 100.0), (float(i % 1400) + 3, 140.0)] for i in range(MOST_NUMBER_STROKES + 1)]
    reading = read_number(scribble, read)
    assert reading.kind == NOT_A_DIGIT and not reading.marks and reading.unread == MOST_NUMBER_STROKES + 1
    assert reading.verdict_text == "Not a number: 129 strokes, more than a number of 32 digits has"
    assert read_number(scribble[:MOST_NUMBER_STROKES], scripted({})).marks


def test_ones_that_lean_apart_or_too_far_are_not_read_as_a_sure_number(engine):
    """One writer's 1s lean alike; a letter's strokes read one by one as 1s (an X, a V, an M) do not."""
    def ones(*leans):  # 250 px tall strokes, 250 px apart, each leaning its given degrees
        reach = [math.tan(math.radians(lean)) * 125 for lean in leans]
        return [straight((200 + 250 * i - dx, 60), (200 + 250 * i + dx, 310)) for i, dx in enumerate(reach)]

    for pipeline in ("phone", "centred"):
        alike = read_number(ones(5, -5, 0), reader(engine, pipeline))
        assert alike.text == "111" and alike.kind == DIGIT and alike.verdict_text == "111"
        assert [round(mark.lean) for mark in alike.marks] == [5, -5, 0] and alike.ones_astray == ([], None)
        apart_ = read_number(ones(25, -25), reader(engine, pipeline))
        assert apart_.text == "11" and apart_.kind == UNSURE
        assert apart_.verdict_text == "Not sure: 11 (its 1s lean different ways)" and apart_.ones_astray[0] == [0, 1]
        steep = read_number(ones(0, 45), reader(engine, pipeline))
        assert steep.kind == UNSURE and steep.verdict_text == "Not sure: 11 (a 1 leans too far)"
        assert steep.ones_astray[0] == [1]


def test_number_files_and_digit_files_are_each_refused_in_the_other_mode_by_name():
    number = json.dumps({"canvas": list(NUMBER_CANVAS), "label": "2026", "strokes": [[[10, 10], [20, 20]]]})
    digit = json.dumps({"label": 4, "strokes": [[[10, 10], [20, 20]]]})
    with pytest.raises(DataError, match=r'f.jsonl:3: \'label\' is the number "2026": a drawing of a number; open '
                                         r'it with View ▸ Number'):
        parse_drawing_text(number, "f.jsonl:3")
    with pytest.raises(DataError, match=r"f.jsonl:1: 'label' is the digit 4: a drawing of one digit"):
        parse_number_text(digit, "f.jsonl:1")
    for bad in ('"20a6"', "2026", '""', "[2, 0]"):
        with pytest.raises(DataError, match=r"'label' must be a number written in digits, like \"2026\""):
            parse_number_text(number.replace('"2026"', bad), "f.jsonl:1")
    assert parse_number_text(number, "f").label == "2026"


def test_evaluate_numbers_reports_splits_and_readings_and_writes_the_answers(tmp_path, strokes_file):
    numbers = tmp_path / "numbers.jsonl.gz"
    made = run_script("scripts/make_numbers.py", "--strokes", str(strokes_file), "--out", str(numbers),
                      "--seed", "4", "--count", "12")
    assert made.returncode == 0, made.stderr
    answers = tmp_path / "answers.jsonl"
    result = run_script("scripts/evaluate.py", "--numbers", str(numbers), "--pipeline", "both", "--json",
                        "--answers", str(answers))
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["numbers_count"] == 12
    for key in ("number_read_right", "digits_read_right", "digits_split_right", "not_sure", "not_a_digit",
                "number_read_surely_but_wrong"):
        assert set(figures[key]) == {"phone", "centred"} and 0 <= figures[key]["phone"] <= 1
    lines = [json.loads(line) for line in answers.read_text().splitlines()]
    assert len(lines) == 12 and all(len(line["phone"]["number"]) == len(line["phone"]["marks"]) for line in lines)
    digits = run_script("scripts/evaluate.py", "--numbers", str(strokes_file), "--json")
    assert digits.returncode == 2 and "'label' is the digit" in digits.stderr and str(strokes_file) in digits.stderr


def test_numbers_are_built_from_any_digits_a_file_holds_and_a_drawing_that_cannot_be_is_named_and_left_out(
        tmp_path):
    """A drawing 19 times as wide as tall makes a long number that no slope fits on the canvas: it is laid on a
    flat baseline (it once recursed without end). One past 20, or reaching past what floats measure, is named and
    left out, and the numbers are built from the others (DigiLeTs holds a 7 drawn as a flat line)."""
    from model.runtime.strokes import Drawing, write_drawings

    dot = Drawing([[(100.0, 100.0)]], 1, writer="w")
    for wide in (19.0, 10.0):
        line = Drawing([[(0.0, 100.0), (wide * 10.0, 100.0), (wide * 10.0, 110.0)]], 2, writer="w")
        for record in build_numbers([dot, line], 5, np.random.default_rng(0)):
            ys = [y for stroke in record["strokes"] for _, y in stroke]
            assert 0 <= min(ys) and max(ys) <= CANVAS_SIZE and record["label"] in ("12", "21")
    digits, out = tmp_path / "digits.jsonl", tmp_path / "n.jsonl"
    for far in ([[0.0, 100.0], [400.0, 100.0]], [[0.0, 1e308], [0.0, -1e308]]):
        write_drawings(digits, [dot, Drawing([far], 2, writer="w"), Drawing([[(50.0, 50.0), (50.0, 150.0)]], 1,
                                                                            writer="w")])
        made = run_script("scripts/make_numbers.py", "--strokes", str(digits), "--out", str(out), "--count", "5")
        assert made.returncode == 0, made.stderr
        assert f"{digits}:2: left out: a drawing more than 20 times as wide as tall" in made.stderr
        assert {json.loads(line)["label"] for line in out.read_text().splitlines()} == {"11"}
        write_drawings(digits, [dot, Drawing([far], 2, writer="w")])  # alone with the one left out: no number
        made = run_script("scripts/make_numbers.py", "--strokes", str(digits), "--out", str(out))
        assert made.returncode == 2 and f"{digits}:2: left out" in made.stderr and "no writer with 2" in made.stderr
        assert "Traceback" not in made.stderr
        out.unlink()
    marks = tmp_path / "marks.jsonl"
    write_drawings(marks, [Drawing([[[0.0, 100.0], [400.0, 100.0]]], None)])
    write_drawings(digits, [dot, dot])
    made = run_script("scripts/make_numbers.py", "--strokes", str(digits), "--marks", str(marks), "--out", str(out))
    assert made.returncode == 2 and f"{marks}: no drawing in it can be set in a number" in made.stderr
    assert not out.exists()


def test_numbers_with_two_digits_joined_in_one_stroke_are_built_and_their_sure_misreadings_counted(drawings):
    """A writer who joins two digits in one stroke: one stroke fewer, the pen going on from the end of the left
    digit's last stroke to the start of the right one's first; read surely, the number is counted as wrong."""
    from model.recipe.measure import NumberTally

    tally, wrong, engine = NumberTally(), 0, load_engine("coreml")
    for seed in range(20):
        before, = build_numbers(drawings, 1, np.random.default_rng(seed))
        after, = build_numbers(drawings, 1, np.random.default_rng(seed), joined=True)
        end = sum(before["digits"][:after["joined_at"] + 1])  # the right digit's first stroke
        assert after["strokes"] == [*before["strokes"][:end - 1], before["strokes"][end - 1] + before["strokes"][end],
                                    *before["strokes"][end + 1:]]
        assert "digits" not in after and after["label"] == before["label"]
        drawing = parse_number_text(json.dumps(after), "joined")
        reading = read_number(on_number_canvas(drawing), reader(engine))
        tally.add(drawing, None, None, reading)
        wrong += reading.kind == DIGIT and reading.text != drawing.label
        cut = [index for index in range(len(reading.marks)) if not reading.whole(index)]
        assert not cut or reading.kind != DIGIT  # a digit cut from one stroke is never read surely
    figures = tally.figures()
    assert figures["number_read_surely_but_wrong"] == wrong / 20
    assert figures["number_read_right"] >= 0.3  # cut where they join, many are read (without the cut: 0.05)


def test_digits_joined_in_one_stroke_are_cut_apart_and_the_number_is_not_read_surely(engine, drawings):
    """The pen going on from one digit into the next: the stroke is cut where a line down the canvas crosses it
    once between two digit-tall parts, each piece is read as a digit, and the number is "not sure", saying why."""
    from model.runtime.numbers import cut_at, joins, rejoined

    def zero(middle):
        return [(middle, 100.0), (middle - 50, 200.0), (middle, 300.0), (middle + 50, 200.0), (middle, 100.0)]

    joined = [*zero(100.0), *zero(260.0)]  # the connector runs along the top, from x 100 to 260
    cuts = joins(joined, 210.0)
    assert len(cuts) == 1 and cuts[0][0] == 4 and 150 < cuts[0][1][0] < 210 and cuts[0][1][1] == 100.0
    pieces = cut_at(joined, cuts)
    assert len(pieces) == 2 and pieces[0][-1] == pieces[1][0] == cuts[0][1]
    assert rejoined([0, 1], pieces, [0, 0]) == [[*pieces[0], *pieces[1][1:]]]
    assert joins(zero(100.0), 210.0) == []  # a digit alone: every line down it crosses its loop twice
    record, = build_numbers(drawings, 1, np.random.default_rng(2), joined=True)  # a writer's 2 and 0 joined
    number = parse_number_text(json.dumps(record), "joined")
    reading = read_number(on_number_canvas(number), reader(engine))
    assert number.label == reading.text == "203" and len(number.strokes) == 2
    assert reading.kind == UNSURE and reading.in_doubt == [0, 1] and not reading.whole(0) and reading.whole(2)
    assert [reading.drawn(index) for index in range(3)] == [(0,), (0,), (1,)]
    assert reading.verdict_text == "Not sure: 203 (digits 1 and 2 are cut from one stroke: lift the pen between digits)"
    apart, = build_numbers(drawings, 1, np.random.default_rng(2))  # the same, the pen lifted
    reading = read_number(on_number_canvas(parse_number_text(json.dumps(apart), "apart")), reader(engine))
    assert reading.text == "203" and reading.kind == DIGIT


def scripted(sure_of: dict):
    """A reader that knows groups by their strokes' point counts: a group mapped to a digit is read as it at
    0.99, one mapped to (digit, probability) at that probability, any other as 0 at 0.1."""
    from model.runtime.engines import Prediction
    from model.runtime.verdict import judge

    def read(digits):
        made = []
        for digit in digits:
            known = sure_of.get(tuple(sorted(len(s) for s in digit)), (0, 0.1))
            answer, top = known if isinstance(known, tuple) else (known, 0.99)
            p = np.full(10, (1 - top) / 9)
            p[answer] = top
            made.append(Prediction(np.zeros((28, 28)), p, judge(p, 0.3)))
        return made
    return read


def test_a_digit_drawn_on_from_a_one_is_read_surely_only_when_the_model_is_all_but_certain():
    """A k's "<" or an R's bowl is drawn on from its stem: read as 1 and a digit, the number is not sure unless
    that digit's top probability reaches ON_A_ONE_SURE; the same digit written apart from the 1 is."""
    from model.runtime.numbers import ON_A_ONE_SURE, ends_on

    stem = [(100.0, 100.0), (100.0, 200.0), (100.0, 300.0)]  # 3 points: read as 1
    arm = [(104.0, 210.0), (180.0, 100.0), (181.0, 101.0), (185.0, 300.0)]  # 4 points, starting on the stem
    apart = [(160.0, 210.0), (230.0, 100.0), (231.0, 101.0), (235.0, 300.0)]  # the same, 50 px off the stem
    assert ends_on([arm], [stem]) and not ends_on([apart], [stem])
    assert ends_on([[(110.0, 150.0), (200.0, 150.0)]], [stem])  # within two brush reaches of the 1's pen path
    assert not ends_on([[(111.0, 150.0), (200.0, 150.0)]], [stem])
    assert not ends_on([[(1e300, 150.0), (-1e300, 150.0)]], [stem])  # far past what floats measure: no touch
    for top, sure in ((0.9, False), (ON_A_ONE_SURE, True)):
        drawn = read_number([stem, arm], scripted({(3,): 1, (4,): (4, top)}))
        assert drawn.text == "14" and [m.on_a_one for m in drawn.marks] == [False, True]
        assert (drawn.kind == DIGIT) == sure and drawn.in_doubt == ([] if sure else [1])
        if not sure:
            assert drawn.verdict_text == "Not sure: 14 (digit 2 is drawn on from a 1, as a k's or an R's strokes are)"
        written_apart = read_number([stem, apart], scripted({(3,): 1, (4,): (4, top)}))
        assert written_apart.text == "14" and written_apart.kind == DIGIT


def test_a_short_mark_or_one_deep_within_its_neighbours_span_is_no_digit_of_its_own():
    """Even where its pieces read more surely alone: a tick a quarter of the digits' height is too short to be
    a digit, and a 4's stem standing in the middle of its loop's span is too deep in it; a 1 overlapping its
    neighbour by 15 % of the height, as digits that touch do, stays a digit."""
    seven_ticked = [[(50.0, 100.0), (170.0, 100.0), (100.0, 300.0)],
                    [(195.0, 100.0), (198.0, 113.0), (202.0, 127.0), (205.0, 140.0)]]
    reading = read_number(seven_ticked, scripted({(3,): 7, (4,): 1, (3, 4): (7, 0.8)}))
    assert [m.strokes for m in reading.marks] == [(0, 1)] and reading.text == "7"
    four = [[(100.0, 100.0), (60.0, 220.0), (180.0, 220.0), (175.0, 221.0)], [(130.0, 120.0), (130.0, 300.0)]]
    reading = read_number(four, scripted({(4,): 6, (2,): 1, (2, 4): (4, 0.8)}))
    assert [m.strokes for m in reading.marks] == [(0, 1)] and reading.text == "4"
    seven_one = [[(50.0, 100.0), (170.0, 100.0), (100.0, 300.0)], [(150.0, 110.0), (150.0, 300.0)]]
    reading = read_number(seven_one, scripted({(3,): 7, (2,): 1, (2, 3): (7, 0.8)}))
    assert [m.strokes for m in reading.marks] == [(0,), (1,)] and reading.text == "71"


def test_a_digit_is_split_along_the_order_its_strokes_were_drawn_or_across_whichever_reads_better():
    """Overlapping digits can interleave their strokes across the canvas (a 4's upright beyond a 1 tucked
    into it); a bar added after the next digit interleaves them in time. Each is one digit."""
    def stroke(left: float, right: float, points: int) -> list:
        return [(left if i % 2 else right, 100.0 + 150.0 * i / (points - 1)) for i in range(points)]

    four_and_one = [stroke(50, 150, 3), stroke(172, 182, 4), stroke(152, 166, 5)]  # the 1 drawn last, inside
    reading = read_number(four_and_one, scripted({(3, 4): 4, (5,): 1}))
    assert [m.strokes for m in reading.marks] == [(0, 1), (2,)] and reading.text == "41"
    seven_barred_late = [stroke(50, 150, 3), stroke(200, 210, 4), stroke(70, 140, 5)]  # the bar after the 1
    reading = read_number(seven_barred_late, scripted({(3, 5): 7, (4,): 1}))
    assert [m.strokes for m in reading.marks] == [(0, 2), (1,)] and reading.text == "71"


far = st.floats(-1e308, 1e308, allow_nan=False, allow_infinity=False)  # what a file may hold
anywhere = st.tuples(st.floats(-200, 1800, allow_nan=False) | far, st.floats(-200, 600, allow_nan=False) | far)


@FUZZ
@given(strokes=st.lists(st.lists(anywhere, max_size=12) | anywhere.map(lambda point: [point] * 5), max_size=14),
       pipeline=st.sampled_from(["phone", "centred"]))
def test_any_strokes_are_each_in_one_mark_and_read_without_an_error(engine, strokes, pipeline):
    """Empty strokes, a point drawn over and over, ink off the canvas, strokes piled up: every stroke drawn ends
    in exactly one mark, and every mark has its reading."""
    reading = read_number(strokes, reader(engine, pipeline))
    assert sorted(i for mark in reading.marks for i in mark.strokes) == list(range(len(reading.strokes)))
    assert sorted(set(reading.cut_from)) == list(range(sum(1 for s in strokes if s)))
    assert len(reading.predictions) == len(reading.marks) and reading.verdict_text
    for index in range(len(reading.marks)):  # a mark's strokes as read: the pieces of a stroke it holds joined
        assert sum(len(s) for s in reading.mark_strokes(index)) <= sum(len(s) + 1 for s in strokes)
