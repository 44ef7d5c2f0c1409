"""The data sets' one error."""


class DataError(ValueError):
    """A data set that cannot be had: the message says why and what to do."""
