"""Digit Recognizer desktop: the Qt side of the product."""
