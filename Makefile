# plandash: the two commands a newcomer needs are `make run` and `make test`.
GO       ?= go
BIN      ?= bin/plandash
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
export CGO_ENABLED := 1

.PHONY: run build test test-short lint fuzz echarts echarts-verify browser clean

## run: start the server on the default Norwalk plan and sample data (http://localhost:8080)
run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/plandash serve

## build: build the binary into bin/
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/plandash

## test: every test, browser tests included (installs Debian chromium when missing)
test: browser echarts-verify
	$(GO) test -count=1 ./...

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
## FuzzFindHeader, FuzzOpenCSV, FuzzSheetXML and FuzzReadProfiles)
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

## browser: make sure headless chromium and fonts are installed (Debian)
browser:
	@scripts/ensure-browser.sh

## echarts: refresh the vendored ECharts from the npm registry and check its checksum
echarts:
	scripts/echarts.sh

## echarts-verify: check the vendored ECharts against its checksum (no network)
echarts-verify:
	@scripts/echarts.sh --verify

clean:
	rm -rf bin
