# The targets CI mirrors (.ci/run); see README.md.
GO ?= go
FUZZTIME ?= 30s

.PHONY: build run test test-postgres lint fuzz bench
build:
	$(GO) build -o bin/fusion ./cmd/fusion

run:
	$(GO) run ./cmd/fusion serve --demo

test:
	$(GO) test ./...

# The store-backed tests against the local PostgreSQL as well (CI does this).
test-postgres:
	FUSION_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable $(GO) test ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

# Run every fuzz target for FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s || exit 1; \
	  done; \
	done

bench:
	$(GO) test ./... -run '^$$' -bench . -benchmem
	bash bench/ingest.sh
	bash bench/evidence.sh
	bash bench/scenario.sh
	bash bench/match.sh
	bash bench/tor.sh
	bash bench/feedback.sh
	bash bench/taxii.sh
	bash bench/sms.sh
	bash bench/screen.sh
