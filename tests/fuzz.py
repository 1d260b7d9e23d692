"""Mutations of valid files for the property-based tests of every reader of
user files: bytes changed, cut or inserted, and JSON fields replaced."""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Few enough examples that the suite stays quick; the fault harness runs more.
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True)


@st.composite
def mutated_bytes(draw, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "zero-run"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif data:
            data[at:at + 8] = b"\x00" * len(data[at:at + 8])
    return bytes(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12)


def read_or_refused(read, path, refusal: type[Exception]):
    """`read(path)`, or None if it refused the file with a `refusal` naming it:
    the only outcomes a reader of user files may have."""
    try:
        return read(path)
    except refusal as error:
        assert str(path) in str(error), f"the message does not name the file: {error}"
        return None
