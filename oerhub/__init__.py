"""oerhub: harvest Open Educational Resources of the CIS and Baltic countries into one catalogue."""

__version__ = "0.1.0"
