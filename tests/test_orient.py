"""Page turn: the turn that makes the most marks sure digits wins, by a clear margin."""
import numpy as np

from handnum.orient import page_turn


class Reads:
    """A stand-in model: every image read as `cls` with probability `p`; counts the images read."""

    def __init__(self, cls: int, p: float):
        self.row, self.read = np.full(11, (1 - p) / 10, np.float32), 0
        self.row[cls] = p

    def __call__(self, batch):
        self.read += len(batch)
        return np.tile(self.row, (len(batch), 1))


def test_the_turn_that_makes_sure_digits_wins_and_one_that_cannot_is_not_read_in_full():
    images = np.zeros((10, 28, 28), np.float32)
    boxes = np.tile([0, 0, 20, 40], (10, 1))  # digits taller than wide: only upside down is tried
    upright = np.tile(Reads(10, 0.9).row, (10, 1))
    upright[:4] = Reads(3, 0.95).row  # 4 sure digits as it stands
    assert page_turn(images, upright, boxes, Reads(8, 0.99)) == 180
    junk = Reads(10, 0.9)
    assert page_turn(images, upright, boxes, junk) == 0
    assert junk.read == 6  # the 6 marks not sure as they stand turn into no sure digit: the turn cannot win
