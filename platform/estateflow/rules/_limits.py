"""Bounds on what an expression may be and may build; breaking one is a coded error."""

#: Longest expression text accepted, in characters.
MAX_EXPRESSION_LENGTH = 2000

#: Deepest nesting of an expression: tree depth, open brackets, or a run of unary
#: operators (``not not not x``). Keeps Jinja's recursive parser, and the compiled
#: closures (one call deep per level), far from Python's recursion limit.
MAX_DEPTH = 32

#: Most nodes in one expression's tree; the largest handbook rule has about 30.
MAX_NODES = 400

#: Longest text an expression may write as a literal or build by ``+`` or ``*``.
MAX_STRING_LENGTH = 10_000

#: Longest list an expression may build by ``+`` or ``*``.
MAX_LIST_LENGTH = 10_000

#: Most digits before the decimal point of a number an expression writes or computes
#: (10**24 is far beyond any amount of money; Python ints would grow without bound).
MAX_INTEGER_DIGITS = 24

#: Significant digits kept by arithmetic; a division rounds to this many.
DECIMAL_PRECISION = 28

#: Most decimal places ``round`` accepts.
MAX_ROUND_PLACES = 10

#: Compiled rules kept in the cache, by source text.
CACHE_SIZE = 4096
