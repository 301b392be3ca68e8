"""The four Gongjian services. None imports another: they talk only through events."""
