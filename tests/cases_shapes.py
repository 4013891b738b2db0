"""Table-test cases for the shapes ops (merged into test_array_ops.ARRAY_CASES).

CASES: op name -> list of (operand shapes, params); VALUES: op name -> function(shapes, rng) giving
operands where random uniform(-2, 2) ones will not do (integer indices, symmetric positive definite
matrices, distinct singular values).  An op returning several arrays has the index picked last.
"""

CASES: dict = {
    "split": [([(4, 3)], (2, 0, 1)), ([(2, 5)], ((1, 3), 1, 0)), ([(2, 5)], ((1, 3), -1, 2)), ([(6,)], (3, 0, 2))],
    "pad": [([(2, 3)], (1, "constant")), ([(3,)], ((2, 0), "constant")), ([(2, 3)], (((0, 1), (2, 0)), "constant"))],
}
VALUES: dict = {}
