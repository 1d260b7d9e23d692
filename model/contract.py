"""The contract every model keeps with the phone app: a 28x28 grayscale image
in, ten probabilities out, and where the "not a digit" threshold is stored."""

INPUT_SHAPE = (28, 28, 1)  # height, width, channels (Keras' channels-last order)
NUM_CLASSES = 10
CLASS_LABELS = [str(digit) for digit in range(NUM_CLASSES)]
NOT_A_DIGIT_KEY = "not_a_digit_below"  # user-defined metadata of an exported .mlmodel: the phone pipeline's
# Each pipeline's own threshold, where the model records one; the phone runs only its own, the key above.
NOT_A_DIGIT_KEYS = {"phone": NOT_A_DIGIT_KEY, "centred": "not_a_digit_below_centred"}
