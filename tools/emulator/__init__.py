"""Runtime extensions of the moto server that tools/moto_server.py starts.

moto itself stays unmodified: each module here replaces or wraps methods of
moto's response classes when the launcher calls its install function.
"""
