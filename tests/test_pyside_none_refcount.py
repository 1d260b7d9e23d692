"""PySide6 6.12.0 on Python 3.11 drops a reference to None on every Qt call that
returns nothing; after a few thousand calls Python aborts ("none_dealloc").
This fails if a PySide6 with that bug is ever installed on such a Python."""

import subprocess
import sys

CHECK = """
import sys
from PySide6.QtGui import QPainterPath
path = QPainterPath()
before = sys.getrefcount(None)
for i in range(20000):
    path.lineTo(i, i)
after = sys.getrefcount(None)
print(before - after)
"""


def test_qt_calls_returning_nothing_keep_none_alive():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"Python crashed after Qt calls: {result.stderr[-500:]}"
    assert int(result.stdout.strip()) < 100, "each Qt call that returns nothing leaks a reference to None"
