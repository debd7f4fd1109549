"""A unittest suite: pytest runs it, and so does readiness test."""

import unittest

from ft_clean import add


class AddTest(unittest.TestCase):
    def test_adds(self) -> None:
        self.assertEqual(add(2, 3), 5)
