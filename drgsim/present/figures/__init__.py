"""The figures of a run, one module per subject; `drgsim.present.plots` lists and writes them."""
