# The block backend process, driven as pvisord drives it
# (tests/unit/test_blkback.c): it runs the real $(BUILD)/pvblkback.
#
# Included from tests/unit/build.mk, before or after its UNIT_BINS line:
# both the name list and the binary list get the test once, and
# check-unit builds it either way.
UNIT_TESTS += test_blkback
UNIT_BINS  += $(BUILD)/tests/unit/test_blkback

PVBLKBACK_BIN := $(abspath $(BUILD)/pvblkback)

$(BUILD)/tests/unit/test_blkback: tests/unit/test_blkback.c \
		tests/unit/gnt_fixture.h tests/unit/fake_mem.h \
		toolstack/include/pvisor/blkback_ctl.h \
		toolstack/include/pvisor/gnt_broker.h \
		toolstack/pvisord/gnt_broker.c \
		$(BUILD)/pvblkback $(LIBPVISOR_SAN) $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  CC-SAN  $<"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -Itests/unit \
		-DPVBLKBACK_DEFAULT='"$(PVBLKBACK_BIN)"' \
		-o $@ $< toolstack/pvisord/gnt_broker.c $(LIBPVISOR_SAN) $(LDLIBS) -lcmocka -lnbd

# run.sh passes the environment on: the backend under test, by name.
check-unit: $(BUILD)/tests/unit/test_blkback
check-unit: export PVBLKBACK := $(PVBLKBACK_BIN)
