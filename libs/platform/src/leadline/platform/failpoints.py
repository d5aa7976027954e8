"""Named crash points for fault-injection tests: ``LEADLINE_CRASH_AT=<name>`` kills the process there.

Production code calls ``crash_point("outbox.after_publish")`` at the few places where a
crash is most dangerous; tests start a real process with the variable set and then
prove that nothing is lost or applied twice after a restart. Unset, it costs one dict lookup.
"""

from __future__ import annotations

import os
import signal


def crash_point(name: str) -> None:
    if os.environ.get("LEADLINE_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
