"""captag: caption, tag and repair photos on the desktop, offline."""
__version__ = "0.1.0"
