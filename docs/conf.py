"""Sphinx configuration for engramsim's documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "engramsim"
author = "the engramsim developers"
copyright = "2026, the engramsim developers"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
]
# the API pages: every public name of each package's __all__, generated at build time
autosummary_generate = True
autosummary_ignore_module_all = False
# notebooks: executed when they have no outputs (the test suite executes them on its own and builds the
# site with ENGRAMSIM_NB_EXECUTE=off, so that a test run does not execute them twice)
nb_execution_mode = os.environ.get("ENGRAMSIM_NB_EXECUTE", "auto")
nb_execution_timeout = 300
nb_execution_raise_on_error = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
html_theme = "alabaster"
html_static_path = ["_static"]
templates_path = ["_templates"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
suppress_warnings = ["myst.xref_missing"]
nitpicky = False
