"""Teach a Core ML model a writer's hand: run the update the model defines (or
the project's default) on labelled drawings, as the phone's MLUpdateTask does,
and write the personal model.

    python scripts/personalise.py --model model/keras_mnist_cnn.mlmodel --drawings mine.jsonl \\
        --out personal.mlmodel --json

The drawings are the shared stroke format (.jsonl or .jsonl.gz), each with its
`label`. OUT is written atomically: the personal model, or, if the general check
(1,000 MNIST test digits) falls more than a point, the base model unchanged
(the last line says which). The last line with --json is one JSON object:
accuracy on the drawings before and after (cross-validated), the general
check before and after, whether the personal model is used, steps and seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.runtime.cli import add_pipeline_option, check_writable_file, fail, run_interruptibly
from model.runtime.paths import DEFAULT_COREML_MODEL


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(DEFAULT_COREML_MODEL), help="the base .mlmodel (default: shipped)")
    parser.add_argument("--drawings", required=True, help="labelled drawings (.jsonl or .jsonl.gz)")
    parser.add_argument("--out", required=True, help="the personal .mlmodel to write")
    add_pipeline_option(parser, default="phone")
    parser.add_argument("--updatable", action="store_true",
                        help="write the updatable variant (iOS 13+), so the phone can go on learning")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.suffix != ".mlmodel":
        parser.error(f"--out {out}: a personal model is an .mlmodel file")
    check_writable_file(out, "--out", megabytes=10)
    if out.resolve() == Path(args.model).resolve():
        return fail(f"--out {out}: is the --model itself; write the personal model elsewhere, so the base model stays")

    def work() -> int:
        from desktop_app.render import render_strokes
        from model.atomic import atomic_path
        from model.runtime.personal import personal_model_bytes, personalise, read_examples

        examples = read_examples(args.drawings)
        result = personalise(args.model, examples, args.pipeline, render_strokes)
        data = personal_model_bytes(result, args.updatable) if result.used else Path(args.model).read_bytes()
        with atomic_path(out) as temporary:
            temporary.write_bytes(data)
        summary = result.summary()
        after = summary["set_accuracy_after"]
        if result.nothing_to_learn:
            print(f"checked {result.taught} drawings in {result.seconds:.2f} s: {result.set_before:.1%} read right")
        else:
            print(f"taught {result.taught} drawings in {result.seconds:.2f} s ({result.steps} steps): on them "
                  f"{result.set_before:.1%} -> {'n/a' if after is None else f'{after:.1%}'} (cross-validated); "
                  f"general check {result.general_before:.1%} -> {result.general_after:.1%}")
        print(f"wrote {out}: " + ("the personal model" if result.used else f"the base model ({result.why_not})"))
        if args.json:
            print(json.dumps(summary))
        return 0

    return run_interruptibly(work, nothing_written=f"{out} not written")


if __name__ == "__main__":
    sys.exit(main())
