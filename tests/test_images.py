"""Opening images: ink, not paper, whatever the image's polarity, alpha or lighting."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFilter

from model.errors import DataError
from model.runtime.images import INK_BOX, image_to_canvas
from tests.fuzz import FUZZ, mutated_bytes, read_or_refused


def seven(size: int, ink: int, paper: int, mode: str = "L") -> Image.Image:
    """A 7 drawn with a thick pen on a page."""
    image = Image.new(mode, (size, size), paper)
    pen = ImageDraw.Draw(image)
    width = max(2, size // 14)
    pen.line([(0.25 * size, 0.2 * size), (0.75 * size, 0.2 * size), (0.42 * size, 0.85 * size)], fill=ink,
             width=width, joint="curve")
    return image


def ink_box(canvas: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(canvas.max(axis=1) > 64), np.flatnonzero(canvas.max(axis=0) > 64)
    return rows[0], rows[-1], cols[0], cols[-1]


def assert_a_centred_seven(canvas: np.ndarray) -> None:
    assert canvas.shape == (375, 375) and canvas.dtype == np.uint8
    assert canvas[:5].max() == 0 and canvas[:, :5].max() == 0  # black paper, white ink
    top, bottom, left, right = ink_box(canvas)
    assert max(bottom - top, right - left) == pytest.approx(INK_BOX, abs=6)
    assert (top + bottom) / 2 == pytest.approx(187, abs=8) and (left + right) / 2 == pytest.approx(187, abs=8)
    # The 7's bar is at the top and its stem runs down to the left.
    assert canvas[top:top + 15, left:right].mean() > canvas[bottom - 15:bottom, left:right].mean()


def test_dark_ink_on_white_paper_is_inverted(tmp_path):
    path = tmp_path / "seven.png"
    seven(200, 0, 255).save(path)
    assert_a_centred_seven(image_to_canvas(path))


def test_a_16_bit_scan_is_read_by_its_own_range_not_clipped_at_255(tmp_path):
    path = tmp_path / "scan.png"
    Image.fromarray((np.asarray(seven(200, 0, 255), np.float64) / 255 * 42000 + 8000).astype(np.uint16)).save(path)
    assert Image.open(path).mode == "I;16"
    assert_a_centred_seven(image_to_canvas(path))


def test_a_float_image_of_values_0_to_1_is_read_by_its_range(tmp_path):
    path = tmp_path / "seven.tif"
    Image.fromarray(np.asarray(seven(200, 0, 255), np.float32) / 255, mode="F").save(path)
    assert_a_centred_seven(image_to_canvas(path))


def test_dark_ink_on_white_with_an_opaque_alpha_channel_is_inverted(tmp_path):
    path = tmp_path / "seven-rgba.png"
    seven(200, 0, 255).convert("RGBA").save(path)
    assert_a_centred_seven(image_to_canvas(path))


def test_black_ink_on_transparency_is_read_from_the_alpha(tmp_path):
    path = tmp_path / "seven-transparent.png"
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    mask = seven(200, 255, 0)
    image.paste((0, 0, 0, 255), mask=mask)  # black ink, transparent paper
    image.save(path)
    assert_a_centred_seven(image_to_canvas(path))


def test_white_ink_on_black_stays_as_it_is(tmp_path):
    path = tmp_path / "seven-dark.png"
    seven(200, 255, 0).save(path)
    assert_a_centred_seven(image_to_canvas(path))


def test_a_photo_on_grey_paper_with_uneven_light_reads_only_the_ink(tmp_path):
    rng = np.random.default_rng(0)
    size = 480
    y, x = np.mgrid[0:size, 0:size]
    paper = 150 + 70 * (x / size) - 50 * (y / size)  # light from the right, shade at the bottom
    ink = np.asarray(seven(size, 255, 0), dtype=np.float64) / 255
    photo = paper * (1 - 0.75 * ink) + rng.normal(0, 6, (size, size))
    image = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.5))
    path = tmp_path / "photo.jpg"
    image.save(path, quality=80)
    canvas = image_to_canvas(path)
    assert_a_centred_seven(canvas)
    # The paper, however shaded, is black: the ink covers a few percent of the canvas, not most of it.
    assert (canvas > 64).mean() < 0.12


def test_a_dim_photo_of_dark_ink_is_still_inverted(tmp_path):
    path = tmp_path / "dim.png"
    seven(200, 40, 90).save(path)
    assert_a_centred_seven(image_to_canvas(path))


@pytest.mark.parametrize("size", [12, 4000])
def test_tiny_and_huge_images_are_fitted_alike(tmp_path, size):
    path = tmp_path / f"seven-{size}.png"
    seven(size, 0, 255).save(path)
    top, bottom, left, right = ink_box(image_to_canvas(path))
    assert max(bottom - top, right - left) == pytest.approx(INK_BOX, abs=8)


def test_a_blank_image_says_there_is_no_ink(tmp_path):
    path = tmp_path / "blank.png"
    Image.new("L", (100, 100), 230).save(path)
    with pytest.raises(DataError, match=f"{path}: no ink found"):
        image_to_canvas(path)


def test_a_file_that_is_not_an_image_is_named(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(DataError, match=f"{path}: not an image"):
        image_to_canvas(path)


def test_an_image_past_the_pixel_limit_is_refused_with_the_reason(tmp_path, monkeypatch):
    import model.runtime.images

    monkeypatch.setattr(model.runtime.images, "MAX_PIXELS", 1_000_000)
    path = tmp_path / "big.png"
    seven(1500, 0, 255).save(path)
    with pytest.raises(DataError, match="1500x1500 pixels is too large"):
        image_to_canvas(path)


# --- every mutation of a valid image is read, or refused by name (hypothesis)



@FUZZ
@given(st.data())
def test_an_image_mutated_byte_by_byte_is_read_or_refused_by_name(tmp_path_factory, data):
    import io

    from PIL import Image

    from model.errors import DataError
    from model.runtime.images import image_to_canvas

    image_format = data.draw(st.sampled_from(["PNG", "JPEG", "GIF", "BMP"]))
    picture = np.zeros((40, 40), np.uint8)
    picture[8:32, 18:22] = 255
    encoded = io.BytesIO()
    Image.fromarray(picture).save(encoded, image_format)
    path = tmp_path_factory.mktemp("fuzz") / f"digit.{image_format.lower()}"
    path.write_bytes(data.draw(mutated_bytes(encoded.getvalue())))
    canvas = read_or_refused(image_to_canvas, path, DataError)
    assert canvas is None or (canvas.shape == (375, 375) and canvas.dtype == np.uint8)


def test_a_pipe_or_folder_named_as_an_image_is_refused_without_waiting_on_it(tmp_path):
    import os

    fifo = tmp_path / "digit.png"
    os.mkfifo(fifo)  # no writer: reading it would block for ever
    with pytest.raises(DataError, match=f"{fifo}: not a regular file"):
        image_to_canvas(fifo)
    with pytest.raises(DataError, match=f"{tmp_path}: is a folder, not an image"):
        image_to_canvas(tmp_path)


def phone_screenshot(canvas: np.ndarray, scale: int, width_pt: int, height_pt: int) -> Image.Image:
    """A screenshot of the phone app as its README lays it out: a light screen, the navigation bar with its
    title and buttons, the 375-point black canvas under it (the canvas bitmap shown at the screen's scale),
    the two 60-point sample buttons and the answer line."""
    screen = Image.new("L", (width_pt * scale, height_pt * scale), 242)
    draw = ImageDraw.Draw(screen)
    draw.rectangle((0, 0, width_pt * scale, 64 * scale), fill=248)
    for x, text in ((12, "Clear"), (150, "DigitRecognizer"), (width_pt - 60, "Predict")):
        draw.text((x * scale, 30 * scale), text, fill=40)
    shown = Image.fromarray(canvas).resize((375 * scale, 375 * scale), Image.Resampling.BILINEAR)
    screen.paste(shown, (0, 64 * scale))
    for index in range(2):
        screen.paste(shown.resize((60 * scale, 60 * scale)), ((16 + 68 * index) * scale, 447 * scale))
    draw.text((120 * scale, (height_pt - 50) * scale), "Digit may be: 5", fill=30)
    return screen


SCREENS = [(2, 375, 667), (3, 414, 736), (2, 375, 812), (3, 390, 844)]  # iPhone 8, 8 Plus, X, 12 at their scales


def test_a_screenshot_of_the_phone_app_is_read_as_its_canvas_alone(tmp_path, drawings):
    from desktop_app.render import render_strokes
    from model.runtime.engines import load_engine, predict_bitmap
    from model.runtime.images import read_image

    model = load_engine("coreml")
    right = 0
    for index, screen in enumerate(SCREENS * 2):
        drawing = drawings[97 * index + 11]
        canvas = render_strokes(drawing.on_phone_canvas())
        path = tmp_path / f"screenshot-{index}.png"
        phone_screenshot(canvas, *screen).save(path)
        read, note = read_image(path)
        assert note.startswith("a screenshot of the phone app")
        assert np.abs(read.astype(int) - canvas.astype(int)).mean() < 3  # the canvas, as the phone held it
        right += predict_bitmap(model, read, "phone").digit == drawing.label
    assert right >= 7
    from desktop_app.files import open_path

    assert "a screenshot of the phone app: its canvas, read alone" in open_path(path).note  # the status bar says so


def test_pictures_without_a_phone_canvas_are_read_for_their_ink(tmp_path):
    from model.runtime.images import read_image

    for name, picture in (("dark", seven(300, 255, 0)), ("light", seven(300, 0, 255))):
        picture.save(tmp_path / f"{name}.png")
        canvas, note = read_image(tmp_path / f"{name}.png")
        assert note == ""
        assert_a_centred_seven(canvas)
    framed = Image.new("L", (600, 900), 240)  # a dark square on a light page, but no canvas: mostly ink
    ImageDraw.Draw(framed).rectangle((50, 100, 550, 600), fill=10)
    framed.save(tmp_path / "square.png")
    assert read_image(tmp_path / "square.png")[1] == ""


def test_evaluate_reads_phone_screenshots_as_their_canvas_and_reports_each_image(tmp_path, drawings):
    import json

    from desktop_app.render import render_strokes
    from tests.conftest import run_script

    images = []
    for index, screen in enumerate(SCREENS):
        drawing = drawings[131 * index + 7]
        path = tmp_path / f"{drawing.label}-screen{index}.png"
        phone_screenshot(render_strokes(drawing.on_phone_canvas()), *screen).save(path)
        images.append(str(path))
    seven(300, 0, 255).save(tmp_path / "seven on paper.png")  # no label in its name
    answers = tmp_path / "answers.jsonl"
    done = run_script("scripts/evaluate.py", "--images", *images, str(tmp_path / "seven on paper.png"),
                      "--pipeline", "phone", "--answers", str(answers), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["images_count"] == 5 and result["images_labelled"] == 4 and result["phone_screenshots"] == 4
    assert result["images_accuracy"]["phone"] >= 0.75
    written = [json.loads(line) for line in answers.read_text().splitlines()]
    assert [a["phone_screenshot"] for a in written] == [True] * 4 + [False]
    assert written[-1]["label"] is None and written[-1]["phone"]["classLabel"] == "7"
    (tmp_path / "3-broken.png").write_bytes(b"not a picture")
    refused = run_script("scripts/evaluate.py", "--images", str(tmp_path / "3-broken.png"))
    assert refused.returncode != 0 and "3-broken.png" in refused.stderr and "Traceback" not in refused.stderr
