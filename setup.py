"""Builds the compiled kernels (plain C, loaded with ctypes): the Flee model's move and travel phases (_kernels.c)
and the emigration model's rules (_emigration.c), in one shared library. The build is optional: on a machine
without a working C compiler it is skipped with a warning and crossings runs on the kernels' NumPy twins
(``crossings run`` says which). Metadata is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "crossings.engine._kernels",
            sources=["src/crossings/engine/_kernels.c", "src/crossings/engine/_emigration.c"],
            extra_compile_args=["-O2", "-std=c99", "-fno-strict-aliasing", "-ffp-contract=off"],
            libraries=["m"],
            optional=True,  # a failed compile leaves the NumPy twins, never a failed install
        )
    ]
)
