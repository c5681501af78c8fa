"""Builds the compiled kernels (plain C, loaded with ctypes): the Flee model's move and travel phases (_kernels.c)
and the emigration model's rules (_emigration.c), in one extension. Metadata is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "crossings.engine._kernels",
            sources=["src/crossings/engine/_kernels.c", "src/crossings/engine/_emigration.c"],
            extra_compile_args=["-O2", "-std=c99", "-fno-strict-aliasing", "-ffp-contract=off"],
            libraries=["m"],
        )
    ]
)
