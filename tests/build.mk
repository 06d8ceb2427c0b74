# Test fragments: each appends its phony targets to CHECK_TARGETS.
include tests/abi/build.mk
include tests/unit/build.mk
include tests/unit/blkback.mk
include tests/unit/netback.mk
include tests/guests/build.mk
include tests/e2e/lifecycle.mk
include tests/e2e/build.mk
include tests/e2e/block.mk
include tests/e2e/net.mk
include tests/fuzz/build.mk
