"""The order of the gallery: from the paper's figure to the user's own data."""

ORDER = [
    "plot_figure1.py",
    "plot_paper_tables.py",
    "plot_tune.py",
    "plot_groups_experiment.py",
    "plot_claims.py",
    "plot_ising.py",
    "plot_odd_regression.py",
    "plot_custom_symmetry.py",
    "plot_random_features.py",
    "plot_invariant_cnn.py",
    "plot_symmetrize_any_estimator.py",
]


class GalleryOrder:
    """Sort key for sphinx-gallery: the listed examples first, in order, then
    any other by file name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        if filename in ORDER:
            return (0, ORDER.index(filename), filename)
        return (1, 0, filename)
