"""The one error of reports (kept apart so the command line imports nothing heavy)."""


class ReportError(ValueError):
    """The folder holds no sweep to report on, or a comparison names something that does not
    exist (one-line message naming the problem and the allowed values)."""
