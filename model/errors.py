"""Errors whose message names the file and what is wrong with it."""


class DataError(Exception):
    """A data file is missing or not what it claims to be."""


class ModelFileError(Exception):
    """A model file is missing, damaged or breaks the input/output contract."""


class TrainingError(Exception):
    """A training run produced a model that must not replace a good one."""
