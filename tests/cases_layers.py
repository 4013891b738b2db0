"""Table-test cases for the layers ops (merged into test_array_ops.ARRAY_CASES).

CASES: op name -> list of (operand shapes, params); VALUES: op name -> function(shapes, rng) giving
operands where random uniform(-2, 2) ones will not do (integer indices, symmetric positive definite
matrices, distinct singular values).
"""

CASES: dict = {}
VALUES: dict = {}
