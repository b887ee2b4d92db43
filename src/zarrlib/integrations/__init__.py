"""Optional integrations with other libraries, each imported only when used.

``dask`` (``zarrlib.to_dask``, ``zarrlib.from_dask``, ``zarrlib.write_dask``) needs the
``dask`` extra; ``xarray_backend`` (``xr.open_dataset(path, engine="zarrlib")`` and
``to_zarrlib``) needs the ``xarray`` extra. Importing this package imports neither.
"""
