# DittoFS: `make run` builds and starts the server on the embedded default config;
# `make test` builds and runs every test. Both install missing Debian packages first.
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps deps-test build run test test-asan unit-asan bench clean install-sdk

all: build

deps:
	@bash scripts/deps.sh build

deps-test:
	@bash scripts/deps.sh test

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/bin/dittofsd --data-dir ./data --plugin-dir $(BUILD_DIR)/plugins

test: deps-test $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 600

# Unit tests and store kits built with AddressSanitizer + UndefinedBehaviorSanitizer.
$(ASAN_DIR)/build.ninja:
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDITTOFS_SANITIZE=ON $(CMAKE_FLAGS)

test-asan: deps-test $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS)
	UBSAN_OPTIONS=print_stacktrace=1:abort_on_error=1 ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS) --timeout 900 -L unit

bench: deps
	@bash scripts/deps.sh bench
	cmake --build $(BUILD_DIR) -j $(JOBS)
	bash bench/run.sh

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
