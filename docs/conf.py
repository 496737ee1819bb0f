"""Sphinx configuration for engramsim's documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "engramsim"
author = "the engramsim developers"
copyright = "2026, the engramsim developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
html_theme = "alabaster"
html_static_path = ["_static"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
suppress_warnings = ["myst.xref_missing"]
nitpicky = False
