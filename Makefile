# plandash: the two commands a newcomer needs are `make run` and `make test`.
GO       ?= go
BIN      ?= bin/plandash
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
export CGO_ENABLED := 1

.PHONY: run build test test-short lint fuzz echarts echarts-verify browser nginx axe dist dist-amd64 dist-arm64 clean

## run: start the server on the default Norwalk plan and sample data (http://localhost:8080)
run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/plandash serve

## build: build the binary into bin/
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/plandash

## test: every test, browser and nginx tests included (installs Debian chromium and nginx when missing),
## then the race detector over what runs an import in several goroutines (reading ahead, hashing,
## archiving, loading)
RACE_INGEST  := TestAheadReader
RACE_IMPORTS := TestImport|TestLargeDamagedSheetLoadsNothing|TestArchiveFailureLoadsNothing
test: browser nginx echarts-verify axe
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race -run '$(RACE_INGEST)' ./ingest
	$(GO) test -count=1 -race -run '$(RACE_IMPORTS)' ./internal/imports

## test-short: the tests without the browser
test-short:
	$(GO) test -count=1 -short ./...

## lint: go vet and gofmt
lint:
	$(GO) vet ./...
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## fuzz: run each fuzz target for FUZZTIME (default 30s each), listing them first:
## every func Fuzz* in a test file (now ingest's FuzzParseValue, FuzzReadTemplate,
## FuzzFindHeader, FuzzOpenCSV, FuzzSheetXML, FuzzFastSheet and FuzzReadProfiles)
FUZZTIME ?= 30s
fuzz:
	@targets="$$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r dir; do \
		grep -h '^func Fuzz' "$$dir"/*_test.go | sed -E "s|^func (Fuzz[A-Za-z0-9_]*).*|$$dir:\1|"; done)"; \
	echo "fuzz targets ($(FUZZTIME) each):"; for t in $$targets; do echo "  $$t"; done; \
	for t in $$targets; do \
		dir=$${t%%:*}; name=$${t#*:}; \
		echo "== $$name ($$dir)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$dir" || exit 1; \
	done

## bench: measure imports (200,000 and 1,000,000 rows, and a 100 MB workbook), pages under 64
## connections, series queries and start-up against baselines taken in the same run, and write
## docs/BENCHMARKS.md (about 3 minutes on 2 cores; its inputs are generated in a temporary folder).
## Not part of CI.
bench:
	$(GO) run ./cmd/plandash-bench

## browser: make sure headless chromium and fonts are installed (Debian)
browser:
	@scripts/ensure-browser.sh

## nginx: make sure Debian's nginx is installed for the test that runs it in front of plandash
## (the system service is neither started nor enabled)
nginx:
	@scripts/ensure-nginx.sh

## axe: fetch axe-core for the browser tests' accessibility checks (npm pack, once)
axe:
	@scripts/axe.sh

## echarts: refresh the vendored ECharts from the npm registry and check its checksum
echarts:
	scripts/echarts.sh

## echarts-verify: check the vendored ECharts against its checksum (no network)
echarts-verify:
	@scripts/echarts.sh --verify

## dist: release binaries for linux/amd64 and linux/arm64 with cgo, and their checksums, in dist/
## (arm64 needs a cross compiler: apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu).
## Not part of CI.
DIST        ?= dist
DIST_FLAGS  := -trimpath -ldflags "$(LDFLAGS) -s -w"
ARM64_CC    ?= aarch64-linux-gnu-gcc
ARM64_CXX   ?= aarch64-linux-gnu-g++
dist: dist-amd64 dist-arm64
	cd $(DIST) && sha256sum plandash-$(VERSION)-linux-* > SHA256SUMS
	@cat $(DIST)/SHA256SUMS

dist-amd64:
	@mkdir -p $(DIST)
	@if [ "$$(uname -m)" != "x86_64" ] && ! command -v x86_64-linux-gnu-gcc >/dev/null; then \
		echo "make dist: linux/amd64 needs a C cross compiler on this machine: apt-get install gcc-x86-64-linux-gnu g++-x86-64-linux-gnu"; exit 1; fi
	env GOOS=linux GOARCH=amd64 $$( [ "$$(uname -m)" = "x86_64" ] || echo CC=x86_64-linux-gnu-gcc CXX=x86_64-linux-gnu-g++ ) \
		$(GO) build $(DIST_FLAGS) -o $(DIST)/plandash-$(VERSION)-linux-amd64 ./cmd/plandash

dist-arm64:
	@mkdir -p $(DIST)
	@if [ "$$(uname -m)" != "aarch64" ] && ! command -v $(ARM64_CC) >/dev/null; then \
		echo "make dist: linux/arm64 needs a C and C++ cross compiler ($(ARM64_CC)): apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu"; exit 1; fi
	env GOOS=linux GOARCH=arm64 $$( [ "$$(uname -m)" = "aarch64" ] || echo CC=$(ARM64_CC) CXX=$(ARM64_CXX) ) \
		$(GO) build $(DIST_FLAGS) -o $(DIST)/plandash-$(VERSION)-linux-arm64 ./cmd/plandash

clean:
	rm -rf bin $(DIST)
