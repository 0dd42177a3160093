"""Build hook for the optional C fast path of the XES reader (everything else: pyproject.toml).

``optional=True``: without a C compiler or Python's headers the build skips the extension and
ist-analyse reads XES with its pure-Python reader (same results, about three times slower).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("ist_analyse.io._xesscan", ["src/ist_analyse/io/_xesscan.c"],
                             optional=True)])
