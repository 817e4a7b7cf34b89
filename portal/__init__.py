"""Static open-data portal generator.

The data flows one way, one module per stage:
read -> validate -> convert -> aggregate -> protect -> chart -> render -> publish.
"""

__version__ = "0.1.0"
