"""Marshmallow schemas: the wire format. What a request may carry (load), what a response shows
(dump), and what the OpenAPI document and the published JSON Schema files say.

A leaf of the package: schemas validate shape and bounds only; they never query the database or
know who is asking. One module per resource family, plus the shared field types (fields.py).
"""
