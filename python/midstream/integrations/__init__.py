"""Integrations: midstream as the parsing core of other libraries (``midstream.integrations.instructor``)."""
