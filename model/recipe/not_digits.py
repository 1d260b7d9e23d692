"""Drawings that are no digit, for teaching the model to say so.

Outlier exposure (Hendrycks et al. 2019): trained to spread its probabilities
evenly over the ten digits on these, the model's top probability alone tells a
digit from something else, so the phone can decide with one comparison.

Five families, each in MNIST-like units (a 28-unit box, y down), placed and
drawn afterwards exactly as the digits are (synthesis.hand_drawn):
- letters and symbols from font outlines (matplotlib's bundled DejaVu fonts),
  thinned to their skeleton like MNIST digits;
- lower-case letters as people write them, built from pen movements with
  each writer's proportions (recipe.lower_case);
- letters from stroke fonts (Hershey's script, cursive, roman, italic and
  gothic), drawn as a pen writes them: the handwritten letter forms no
  outline font has, lower case more often than capitals (people's lower
  case is what gets read as digits: d as 2, h as 6, e as 0, r as 5);
- geometric doodles: spirals, stars, polygons, hearts, zigzags, waves, grids,
  parallel lines, concentric rings, faces, houses, arrows, ticks, infinity;
- scribbles: smooth random pen walks, and filled blobs (a back-and-forth fill);
- a digit's look-alikes are left out on purpose: O, o, I, l, i, S, s, Z, z,
  B, b, G, g, q, |, / and brackets can be written exactly like 0, 1, 5, 2, 8,
  6 and 9, so calling them "not a digit" would teach the model to doubt digits.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from model.recipe.lower_case import written_lower_case
from model.recipe.skeleton import fit_in_box, trace
from model.runtime.strokes import Stroke

VERSION = 4  # of these drawings, in the cache's name: bump when they change
LETTERS = "ACDEFHJKLMNPRTUVWXYacdefhkmnprtuvwxy"
SYMBOLS = "+×=#@&%$?!*<>~^{}[]πΣΩαβδλμψ€£¥§¶÷±≠√→←♪☺★✓✗"
FONTS = ("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono")
GLYPH_RASTER = 96  # glyphs are thinned on a 96x96 grid before tracing
UNIT = 28.0


@cache
def glyph_strokes(character: str, font: str, italic: bool) -> tuple[tuple[tuple[float, float], ...], ...]:
    """The skeleton of a glyph as pen strokes in a 28-unit box."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath
    from skimage.morphology import skeletonize

    properties = FontProperties(family=font, style="italic" if italic else "normal")
    path = TextPath((0, 0), character, size=10, prop=properties)
    vertices = path.vertices
    if not len(vertices):
        return ()
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    scale = (GLYPH_RASTER - 8) / max(float((high - low).max()), 1e-6)
    centres = (np.arange(GLYPH_RASTER) + 0.5 - 4) / scale
    grid_x, grid_y = np.meshgrid(centres + low[0], high[1] - centres)
    inside = path.contains_points(np.column_stack([grid_x.ravel(), grid_y.ravel()])).reshape(grid_x.shape)
    strokes = trace(skeletonize(inside), UNIT / GLYPH_RASTER)
    return tuple(tuple(stroke) for stroke in strokes if len(stroke) > 1 or len(strokes) < 4)


# Hershey's stroke fonts for the Latin alphabet, every weight and style.
STROKE_FONTS = ("futural", "futuram", "cursive", "scripts", "scriptc", "rowmans", "rowmand", "timesr", "timesi",
                "timesrb", "timesib", "gothiceng", "gothicger", "gothicita")
LOWER_CASE = "".join(c for c in LETTERS if c.islower())
UPPER_CASE = "".join(c for c in LETTERS if c.isupper())
LOWER_CASE_SHARE = 0.65
# Run 5 trained on every other letter to measure the rest; real letters now
# measure that (the shared UNIPEN sample), so training draws them all.
HELD_OUT_LETTERS = LETTERS[1::2]


@cache
def _stroke_font(name: str):
    from HersheyFonts import HersheyFonts

    font = HersheyFonts()
    font.load_default_font(name)
    return font


def stroke_font_letter(rng: np.random.Generator, letters: str | None = None) -> list[Stroke]:
    """A letter of a stroke font, its longer side fitted to the 28-unit box
    (by default lower case LOWER_CASE_SHARE of the time)."""
    if letters is None:
        letters = LOWER_CASE if rng.random() < LOWER_CASE_SHARE else UPPER_CASE
    character = letters[rng.integers(len(letters))]
    font = _stroke_font(STROKE_FONTS[rng.integers(len(STROKE_FONTS))])
    strokes = [[(float(x), float(y)) for x, y in stroke] for stroke in font.strokes_for_text(character) if stroke]
    return fit_in_box(strokes, UNIT)


def glyph(rng: np.random.Generator) -> list[Stroke]:
    text = LETTERS + SYMBOLS
    character = text[rng.integers(len(text))]
    strokes = glyph_strokes(character, FONTS[rng.integers(len(FONTS))], bool(rng.random() < 0.3))
    return [list(stroke) for stroke in strokes] or spiral(rng)


def _circle(centre, radius, start=0.0, turns=1.0, points=32) -> Stroke:
    angles = start + np.linspace(0.0, 2 * np.pi * turns, max(4, int(points * turns)))
    return [(centre[0] + radius[0] * np.cos(a), centre[1] + radius[1] * np.sin(a)) for a in angles]


def spiral(rng):
    turns = rng.uniform(1.6, 4.0)
    angles = np.linspace(0.0, 2 * np.pi * turns, int(40 * turns))
    radius = 14.0 * (0.08 + angles / angles[-1])
    sign = rng.choice([-1, 1])
    return [list(zip(14 + radius * np.cos(angles), 14 + sign * radius * np.sin(angles), strict=True))]


def star(rng):
    tips = int(rng.integers(5, 8))
    step = 2 if tips % 2 else 3 if tips == 8 else 2
    angles = -np.pi / 2 + np.arange(tips + 1) * step * 2 * np.pi / tips
    return [[(14 + 13 * np.cos(a), 14 + 13 * np.sin(a)) for a in angles]]


def polygon(rng):
    sides = int(rng.choice([3, 4, 4, 5, 6]))
    angles = rng.uniform(0, 2 * np.pi) + np.arange(sides + 1) * 2 * np.pi / sides
    squash = rng.uniform(0.5, 1.0)
    return [[(14 + 13 * np.cos(a), 14 + 13 * squash * np.sin(a)) for a in angles]]


def heart(rng):
    t = np.linspace(0, 2 * np.pi, 48)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [list(zip(14 + 0.8 * x, 14 + 0.8 * y, strict=True))]


def zigzag(rng):
    teeth = int(rng.integers(3, 9))
    xs = np.linspace(0, 28, 2 * teeth + 1)
    ys = np.where(np.arange(len(xs)) % 2, 0.0, rng.uniform(6, 20))
    return [list(zip(xs, ys + 4, strict=True))]


def wave(rng):
    x = np.linspace(0, 28, 80)
    periods = rng.uniform(1.5, 5.0)
    return [list(zip(x, 14 + rng.uniform(2, 7) * np.sin(2 * np.pi * periods * x / 28), strict=True))]


def grid(rng):
    across, down = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    strokes = [[(0.0, y), (28.0, y)] for y in np.linspace(4, 24, across)]
    return strokes + [[(x, 0.0), (x, 28.0)] for x in np.linspace(4, 24, down)]


def parallel_lines(rng):
    count = int(rng.integers(3, 7))
    length = rng.uniform(14, 28)
    return [[(0.0, y), (length, y + rng.uniform(-1, 1))] for y in np.linspace(0, 28, count)]


def rings(rng):
    count = int(rng.integers(2, 4))
    return [_circle((14, 14), (r, r * rng.uniform(0.8, 1.0))) for r in np.linspace(14, 4, count)]


def face(rng):
    mouth = _circle((14, 15), (7, 6), start=0.3, turns=0.35, points=30)
    return [_circle((14, 14), (14, 14)), [(9.0, 10.0)], [(19.0, 10.0)], mouth]


def house(rng):
    return [[(2.0, 12.0), (14.0, 1.0), (26.0, 12.0)], [(4.0, 12.0), (4.0, 27.0), (24.0, 27.0), (24.0, 12.0)],
            [(11.0, 27.0), (11.0, 19.0), (17.0, 19.0), (17.0, 27.0)]]


def arrow(rng):
    return [[(0.0, 14.0), (28.0, 14.0)], [(20.0, 6.0), (28.0, 14.0), (20.0, 22.0)]]


def tick(rng):
    return [[(0.0, 14.0), (9.0, 26.0), (28.0, 0.0)]]


def infinity(rng):
    t = np.linspace(0, 2 * np.pi, 60)
    return [list(zip(14 + 14 * np.cos(t), 14 + 7 * np.sin(2 * t), strict=True))]


def scribble(rng):
    """A smooth random pen walk: many turns, no shape."""
    controls = rng.uniform(0, 28, size=(int(rng.integers(7, 20)), 2))
    t = np.linspace(0, 1, len(controls))
    fine = np.linspace(0, 1, 12 * len(controls))
    return [list(zip(np.interp(fine, t, controls[:, 0]), np.interp(fine, t, controls[:, 1]), strict=True))]


def blob(rng):
    """A filled shape, shaded in with a back-and-forth stroke."""
    rows = int(rng.integers(8, 18))
    half_width = 14 * np.sqrt(np.clip(1 - np.linspace(-0.95, 0.95, rows) ** 2, 0, 1)) * rng.uniform(0.6, 1.0)
    ys = np.linspace(1, 27, rows)
    points = []
    for row, (y, half) in enumerate(zip(ys, half_width, strict=True)):
        ends = [(14 - half, y), (14 + half, y)]
        points.extend(ends if row % 2 == 0 else ends[::-1])
    return [points]


DOODLES = (spiral, star, polygon, heart, zigzag, wave, grid, parallel_lines, rings, face, house, arrow, tick,
           infinity)
# Shapes with no upright; the rest (an infinity sign turned up is an 8) stay
# roughly upright.
TURN_FREELY = (spiral, star, polygon, zigzag, wave, grid, parallel_lines, rings, scribble, blob)
# Letters and symbols are seven tenths of the drawings (outline glyphs 0.1,
# stroke-font letters 0.25, written lower case 0.35: people's lower case is
# what is read as a digit most), doodles 0.17, scribbles and blobs the rest.
FAMILIES = ((glyph, 0.1), (stroke_font_letter, 0.25), (written_lower_case, 0.35), ("doodle", 0.17),
            (scribble, 0.07), (blob, 0.06))


def random_not_digit(rng: np.random.Generator) -> list[Stroke]:
    """One drawing that is no digit, in a 28-unit box, before placement."""
    weights = np.array([weight for _, weight in FAMILIES])
    family = FAMILIES[rng.choice(len(FAMILIES), p=weights / weights.sum())][0]
    if family == "doodle":
        family = DOODLES[rng.integers(len(DOODLES))]
    strokes = family(rng)
    if rng.random() < 0.5:
        angle = rng.uniform(0, 2 * np.pi) if family in TURN_FREELY else rng.uniform(-0.3, 0.3)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        strokes = [[tuple((np.array(p) - 14) @ rotation.T + 14) for p in stroke] for stroke in strokes]
    return [list(stroke) for stroke in strokes]
