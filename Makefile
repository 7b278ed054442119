# The two commands of the README's quick start, and the build they share;
# `make package` builds the Debian packages (scripts/package.sh).
.PHONY: build run test package clean

build:
	scripts/build.sh

run: build
	build/spated --data-dir ./data

test:
	scripts/test.sh

package:
	scripts/package.sh

clean:
	rm -rf build
