"""The data sets' errors."""


class DataError(ValueError):
    """A data set that cannot be had: the message says why and what to do."""


class DataNotPrepared(DataError):
    """A tfds data set that is not on this machine (and was not, or could not be,
    downloaded): what a benchmark may time on random images of its shape instead."""
