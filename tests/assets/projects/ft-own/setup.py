"""The extension module ft-own builds: pyproject.toml cannot declare one."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("ft_own._speedups", ["src/ft_own/_speedups.c"])])
