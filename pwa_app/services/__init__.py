"""The domain rules: plain functions that flush; the request that called them commits."""
