"""Issuing organisations (institutions, employers, agencies, professional bodies), their keys and DIDs."""
