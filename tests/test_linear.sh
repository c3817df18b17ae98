#!/bin/sh
# test_linear: the code that had quadratic inputs (issue 28) stays linear.
#
# For each shape of tests/linear_driver (one element with many attributes,
# html and body tags, nested formatting elements, nested iframes, many
# elements; undeclared prefixes, unquoted and repeated attributes, stray end
# tags and doctypes to repair; bad character references; a feed whose item
# holds many attributes), it counts the instructions of a run at n and at 4n
# under valgrind (callgrind), less those of a run at 0, and checks that the
# ratio stays below LINEAR_MAX (6; linear is 4, quadratic 16). Instruction
# counts, not time: the machine's load does not change them.
# Skips (77) without valgrind and in a sanitizer build. LINEAR_N sets n (1000).
set -u
driver=${HERALD_BUILDDIR:-.}/tests/linear_driver
n=${LINEAR_N:-1000}
max=${LINEAR_MAX:-6}
if ! command -v valgrind >/dev/null 2>&1; then
	echo "SKIP: valgrind not installed"
	exit 77
fi
if grep -q __asan_init "$driver"; then
	echo "SKIP: an AddressSanitizer build (valgrind cannot run it; the plain build counts)"
	exit 77
fi
instr() { # shape n -> instructions
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$driver" "$1" "$2" 2>&1 >/dev/null |
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
fails=0
for shape in $("$driver" list); do
	i0=$(instr "$shape" 0)
	i1=$(instr "$shape" "$n")
	i4=$(instr "$shape" $((n * 4)))
	if [ -z "$i0" ] || [ -z "$i1" ] || [ -z "$i4" ]; then
		echo "FAIL $shape: no instruction count (valgrind failed?)"
		fails=$((fails + 1))
		continue
	fi
	ratio=$(echo "scale=2; ($i4 - $i0) / ($i1 - $i0)" | bc)
	ok=$(echo "$ratio < $max" | bc)
	if [ "$ok" = 1 ]; then
		echo "ok   $shape: $((i1 - i0)) -> $((i4 - i0)) instructions at n=$n -> $((n * 4)): x$ratio"
	else
		echo "FAIL $shape: $((i1 - i0)) -> $((i4 - i0)) instructions at n=$n -> $((n * 4)): x$ratio (over x$max)"
		"$driver" "$shape" $((n * 4))
		fails=$((fails + 1))
	fi
done
[ $fails -eq 0 ]
