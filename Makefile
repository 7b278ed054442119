# The two commands of the README's quick start, and the build they share.
.PHONY: build run test clean

build:
	scripts/build.sh

run: build
	build/spated --data-dir ./data

test:
	scripts/test.sh

clean:
	rm -rf build
