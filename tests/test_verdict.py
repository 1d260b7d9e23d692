import numpy as np

from model.runtime.verdict import DIGIT, NOT_A_DIGIT, UNSURE, judge, not_a_digit_mask


def probabilities(**by_digit):
    result = np.zeros(10)
    for digit, p in by_digit.items():
        result[int(digit[1:])] = p
    return result


def test_a_confident_answer_is_the_digit():
    verdict = judge(probabilities(d7=0.9, d1=0.1), not_a_digit_below=0.5)
    assert verdict.kind == DIGIT and verdict.text == "7" and verdict.top_probability == 0.9


def test_two_close_answers_are_unsure_and_name_both():
    verdict = judge(probabilities(d2=0.5, d8=0.3, d3=0.2), not_a_digit_below=0.4)
    assert verdict.kind == UNSURE and verdict.text == "2 or 8?"


def test_the_runner_up_at_just_under_half_the_top_is_still_sure():
    assert judge(probabilities(d2=0.66, d8=0.32, d3=0.02), not_a_digit_below=0.4).kind == DIGIT


def test_below_the_threshold_is_not_a_digit_whatever_the_margin():
    verdict = judge(np.full(10, 0.1), not_a_digit_below=0.3)
    assert verdict.kind == NOT_A_DIGIT and verdict.text == "Not a digit"


def test_a_model_without_a_threshold_never_says_not_a_digit():
    assert judge(np.full(10, 0.1), None).kind == UNSURE
    assert not not_a_digit_mask(np.full((3, 10), 0.1), None).any()


def test_the_mask_is_the_same_rule_for_many():
    rows = np.stack([probabilities(d1=0.95, d7=0.05), np.full(10, 0.1)])
    assert not_a_digit_mask(rows, 0.3).tolist() == [False, True]
