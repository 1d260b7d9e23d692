# A regular package, so that a dependency shipping a top-level "tests" package
# (Hershey-Fonts does) cannot shadow these tests when they import tests.*.
