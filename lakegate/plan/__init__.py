"""The logical plan: typed sources, transforms lowered to steps over one expression form, sinks."""
