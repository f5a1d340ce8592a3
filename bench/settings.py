"""The product's settings, with the benchmark's reference view mounted next to the product's URLs."""

from coalition.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
