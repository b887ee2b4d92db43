"""Metadata documents: parsed once into frozen objects, serialised field by field."""
