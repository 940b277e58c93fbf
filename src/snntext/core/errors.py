"""The one error type a user can cause (bad params, missing or corrupt files).

Stage scripts catch it, print the message without a traceback and exit non-zero,
so every message must name the file, line or key at fault and say what to do.
"""


class SnntextError(Exception):
    """A problem the user can fix; the message says where and how."""
