"""Pure Python: it enables the GIL only because it imports ft_gil, which is to blame."""

import ft_gil

ANSWER = ft_gil.answer()
