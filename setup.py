"""Builds the compiled move and travel kernels (plain C, loaded with ctypes); metadata is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "crossings.engine._kernels",
            sources=["src/crossings/engine/_kernels.c"],
            extra_compile_args=["-O2", "-std=c99", "-fno-strict-aliasing", "-ffp-contract=off"],
            libraries=["m"],
        )
    ]
)
